package dev.tidemark.erasure;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Indexes;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.migration.Store;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A subject with more rows than one call can erase: each call stops when its time budget is out, keeps what it erased
 * ({@code done: false}), and the next call goes on; the calls together erase everything and nothing else.
 */
@ExtendWith(ServersExtension.class)
class ErasureContinuationTest {

    private static final SubjectId SUBJECT = SubjectId.parse("42", SubjectId.IdType.INTEGER, "subject.id");

    /** A budget that is out after {@code millis} from the call's start. */
    private static Supplier<BooleanSupplier> budget(long millis) {
        return () -> {
            long end = System.nanoTime() + millis * 1_000_000;
            return () -> System.nanoTime() > end;
        };
    }

    /** Calls until done; @return every call's result */
    private static List<ErasureResult> untilDone(Supplier<ErasureResult> call) {
        List<ErasureResult> calls = new ArrayList<>();
        do {
            calls.add(call.get());
            assertThat(calls).as("progress on every call").hasSizeLessThan(10_000);
        } while (!calls.getLast().done());
        return calls;
    }

    private static long sum(List<ErasureResult> calls, java.util.function.ToLongFunction<ErasureResult.Item> count) {
        return calls.stream().flatMap(r -> r.items().stream()).mapToLong(count).sum();
    }

    @Test
    void aMillionRowsOfOneSubjectEraseAcrossCallsWithTinyBudgetsAndTouchNothingElse(PostgresServer server) throws Exception {
        String db = TestServers.unique("erasure_million");
        server.createDatabase(db);
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(db), "postgres", "x"); var st = c.createStatement()) {
            st.execute("""
                CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint NOT NULL, payload text NOT NULL);
                INSERT INTO events (user_id, payload) SELECT 42, 'e' || g FROM generate_series(1, 1000000) g;
                INSERT INTO events (user_id, payload) SELECT 1000 + g % 10000, 'o' || g FROM generate_series(1, 100000) g;
                CREATE INDEX events_user_id_idx ON events (user_id);
                ANALYZE events""");
            String others = checksum(c);
            ErasurePlan plan = ErasurePlan.parse(Store.POSTGRES, "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"tables\": ["
                + "{\"table\": \"events\", \"match\": {\"column\": \"user_id\"}, \"action\": \"delete\"}]}");
            PostgresEraser eraser = new PostgresEraser("app-db", plan, new byte[0], 10_000, Duration.ofSeconds(60));
            Supplier<BooleanSupplier> tiny = budget(300);
            List<ErasureResult> calls = untilDone(() -> eraser.erase(c, SUBJECT, false, tiny.get()));

            System.out.printf("erasure continuation: 1,000,000 rows of one subject in %d calls of 300 ms%n", calls.size());
            assertThat(calls).as("several calls").hasSizeGreaterThan(2);
            assertThat(calls.subList(0, calls.size() - 1)).allSatisfy(r -> {
                assertThat(r.done()).isFalse();
                assertThat(r.items().getFirst().remaining()).as("what is left is reported, not hidden").isPositive();
            });
            assertThat(sum(calls, ErasureResult.Item::erased)).isEqualTo(1_000_000);
            assertThat(calls.getLast().items().getFirst().remaining()).isZero();
            try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM events WHERE user_id = 42")) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
            assertThat(checksum(c)).as("the 100,000 rows of 10,000 other subjects are untouched").isEqualTo(others);

            ErasureResult again = eraser.erase(c, SUBJECT, false, budget(300).get());
            assertThat(again.done()).isTrue();
            assertThat(again.items().getFirst().erased()).as("a repeated call erases nothing").isZero();
        }
    }

    private static String checksum(Connection c) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*), md5(string_agg(id || ':' || user_id || ':' || payload, ',' ORDER BY id)) "
            + "FROM events WHERE user_id <> 42")) {
            rs.next();
            return rs.getLong(1) + " " + rs.getString(2);
        }
    }

    @Test
    void mongoAndElasticsearchGoOnFromWhereTheLastCallStopped(MongoServer mongo, ElasticsearchServer elastic) throws Exception {
        try (MongoClient client = MongoClients.create(mongo.uri())) {
            MongoDatabase db = client.getDatabase(TestServers.unique("erasure_cont"));
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                docs.add(new Document("user_id", i % 5 == 0 ? 7L : 42L).append("n", i));
            }
            db.getCollection("events").insertMany(docs);
            db.getCollection("events").createIndex(Indexes.ascending("user_id"));
            ErasurePlan plan = ErasurePlan.parse(Store.MONGODB, "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"collections\": ["
                + "{\"collection\": \"events\", \"match\": {\"field\": \"user_id\"}, \"action\": \"delete\"}]}");
            MongoEraser eraser = new MongoEraser("app-docs", plan, new byte[0], 500);
            List<ErasureResult> calls = untilDone(() -> eraser.erase(db, SUBJECT, false, () -> true));
            assertThat(calls).as("a spent budget still runs one batch per call").hasSize(8);
            assertThat(sum(calls, ErasureResult.Item::erased)).isEqualTo(4_000);
            assertThat(db.getCollection("events").countDocuments(new Document("user_id", 42L))).isZero();
            assertThat(db.getCollection("events").countDocuments(new Document("user_id", 7L))).isEqualTo(1_000);
            db.drop();
        }
        String index = TestServers.unique("erasure-cont");
        try (ElasticClient es = new ElasticClient(new ConnectionSecrets.Elastic(elastic.url(), null, null, null))) {
            StringBuilder bulk = new StringBuilder();
            for (int i = 0; i < 1_200; i++) {
                bulk.append("{\"index\": {\"_index\": \"").append(index).append("\", \"_id\": \"").append(i).append("\"}}\n")
                    .append("{\"user_id\": ").append(i % 4 == 0 ? 7 : 42).append("}\n");
            }
            assertThat(es.send("POST", "/_bulk?refresh=true", bulk.toString()).ok()).isTrue();
            ErasurePlan plan = ErasurePlan.parse(Store.ELASTICSEARCH, "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"indices\": ["
                + "{\"index\": \"" + index + "\", \"match\": {\"field\": \"user_id\"}, \"action\": \"delete\"}]}");
            ElasticEraser eraser = new ElasticEraser("search", plan, 100);
            List<ErasureResult> calls = untilDone(() -> eraser.erase(es, SUBJECT, false, () -> true));
            assertThat(calls).hasSize(9);
            assertThat(sum(calls, ErasureResult.Item::erased)).isEqualTo(900);
            assertThat(es.send("GET", "/" + index + "/_count?q=user_id:42", null).body().path("count").asLong()).isZero();
            assertThat(es.send("GET", "/" + index + "/_count?q=user_id:7", null).body().path("count").asLong()).isEqualTo(300);
        } finally {
            try (ElasticClient es = new ElasticClient(new ConnectionSecrets.Elastic(elastic.url(), null, null, null))) {
                es.send("DELETE", "/" + index, null);
            }
        }
    }
}
