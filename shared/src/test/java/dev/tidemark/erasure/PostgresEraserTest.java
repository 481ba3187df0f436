package dev.tidemark.erasure;

import dev.tidemark.error.ValidationException;
import dev.tidemark.location.Location;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.MigrationResolver;
import dev.tidemark.migration.Store;
import dev.tidemark.migration.TargetVersion;
import dev.tidemark.postgres.PostgresEngine;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.testing.Repo;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Erasure of one user from the example schema on real PostgreSQL, with the example plan. */
@ExtendWith(ServersExtension.class)
class PostgresEraserTest {

    private static final byte[] KEY = "test-pseudonym-key".getBytes();
    /** Every table the example schema keeps personal data in, with each one's rows of subject 2. */
    private static final Map<String, String> SUBJECT_ROWS = new LinkedHashMap<>();

    static {
        SUBJECT_ROWS.put("users", "id = 2");
        SUBJECT_ROWS.put("conversations", "user_id = 2");
        SUBJECT_ROWS.put("messages", "conversation_id IN (SELECT id FROM conversations WHERE user_id = 2)");
        SUBJECT_ROWS.put("refresh_tokens", "user_id = 2");
        SUBJECT_ROWS.put("consent", "user_id = 2");
        SUBJECT_ROWS.put("analytics", "user_id = 2");
        SUBJECT_ROWS.put("audit_log", "actor_id = 2");
    }

    private Connection connection;
    private ErasurePlan plan;

    @BeforeEach
    void exampleSchemaWithThreeUsers(PostgresServer server) throws Exception {
        String db = TestServers.unique("erasure");
        server.createDatabase(db);
        LocationReader reader = new LocationReader(() -> {
            throw new IllegalStateException("no S3 here");
        });
        var dir = Repo.root().resolve("examples").resolve("postgres");
        var scripts = MigrationResolver.resolve(Store.POSTGRES, reader.read(Location.parse("filesystem:" + dir), "sql"));
        try (PostgresEngine engine = new PostgresEngine("app-db", new ConnectionSecrets.Postgres("127.0.0.1", server.port(), db, "postgres", "x"),
            scripts, 10)) {
            engine.migrate(TargetVersion.LATEST, false);
        }
        plan = ErasurePlan.parse(Store.POSTGRES, Files.readString(dir.resolve(ErasurePlan.FILE)));
        connection = DriverManager.getConnection(server.jdbcUrl(db), "postgres", "x");
        connection.createStatement().execute("""
            INSERT INTO users (email, display_name) SELECT 'u' || g || '@example.com', 'User ' || g FROM generate_series(1, 3) g;
            INSERT INTO conversations (user_id, title) SELECT u, 'c' || u || '-' || k FROM generate_series(1, 3) u, generate_series(1, 4) k;
            INSERT INTO messages (conversation_id, role, content) SELECT c.id, 'user', 'hello ' || c.id || '-' || k FROM conversations c,
                generate_series(1, 5) k;
            INSERT INTO refresh_tokens (user_id, token_hash, expires_at) SELECT u, decode(md5(u::text || k), 'hex'), now() + interval '1 day'
                FROM generate_series(1, 3) u, generate_series(1, 2) k;
            INSERT INTO consent (user_id, purpose, granted) SELECT u, p, true FROM generate_series(1, 3) u, unnest(ARRAY['marketing', 'analytics']) p;
            INSERT INTO analytics (user_id, event_type, occurred_at) SELECT u, 'login', '2026-11-15'::timestamptz + k * interval '9 days'
                FROM generate_series(1, 3) u, generate_series(1, 6) k;
            INSERT INTO audit_log (entity_type, entity_id, action, actor_id) SELECT 'user', u, 'update', u FROM generate_series(1, 3) u,
                generate_series(1, 3) k;
            """);
    }

    @AfterEach
    void close() throws SQLException {
        connection.close();
    }

    private PostgresEraser eraser(int batch) {
        return new PostgresEraser("app-db", plan, KEY, batch, Duration.ofSeconds(30));
    }

    private static SubjectId user(String id) {
        return SubjectId.parse(id, SubjectId.IdType.INTEGER, "subject.id");
    }

    /** @return per table, an md5 of every row except those listed */
    private Map<String, String> hashes(Map<String, List<Long>> except) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String table : SUBJECT_ROWS.keySet()) {
            try (var ps = connection.prepareStatement("SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM " + table
                + " t WHERE NOT (id = ANY (?))")) {
                ps.setArray(1, connection.createArrayOf("bigint", except.getOrDefault(table, List.of()).toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    out.put(table, rs.getString(1));
                }
            }
        }
        return out;
    }

    private Map<String, List<Long>> subjectRowIds() throws SQLException {
        Map<String, List<Long>> out = new LinkedHashMap<>();
        for (var e : SUBJECT_ROWS.entrySet()) {
            List<Long> ids = new ArrayList<>();
            try (ResultSet rs = connection.createStatement().executeQuery("SELECT id FROM " + e.getKey() + " WHERE " + e.getValue())) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
            out.put(e.getKey(), ids);
        }
        return out;
    }

    private long count(String sql) throws SQLException {
        try (ResultSet rs = connection.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void anErasureLeavesNothingOfTheSubjectAndTouchesNoOtherRow() throws Exception {
        Map<String, List<Long>> subjectRows = subjectRowIds();
        Map<String, String> others = hashes(subjectRows);
        ErasureResult result = eraser(1000).erase(connection, user("2"), false);
        assertThat(result.items()).extracting(ErasureResult.Item::name, ErasureResult.Item::matched, ErasureResult.Item::erased,
            ErasureResult.Item::anonymised, ErasureResult.Item::remaining).containsExactly(
            org.assertj.core.groups.Tuple.tuple("public.messages", 20L, 20L, 0L, 0L),
            org.assertj.core.groups.Tuple.tuple("public.conversations", 4L, 4L, 0L, 0L),
            org.assertj.core.groups.Tuple.tuple("public.refresh_tokens", 2L, 2L, 0L, 0L),
            org.assertj.core.groups.Tuple.tuple("public.consent", 2L, 2L, 0L, 0L),
            org.assertj.core.groups.Tuple.tuple("public.analytics", 6L, 0L, 6L, 0L),
            org.assertj.core.groups.Tuple.tuple("public.audit_log", 3L, 0L, 3L, 0L),
            org.assertj.core.groups.Tuple.tuple("public.users", 1L, 1L, 0L, 0L));
        for (var e : SUBJECT_ROWS.entrySet()) {
            assertThat(count("SELECT count(*) FROM " + e.getKey() + " WHERE " + e.getValue())).as(e.getKey()).isZero();
        }
        assertThat(count("SELECT count(*) FROM audit_log WHERE actor_id IS NULL")).as("the audit rows stay, without their actor").isEqualTo(3);
        assertThat(count("SELECT count(*) FROM analytics WHERE user_id IS NULL")).as("analytics rows in every partition stay").isEqualTo(6);
        assertThat(hashes(subjectRows)).as("no other row changed").isEqualTo(others);
    }

    @Test
    void smallBatchesGiveTheSameResult() throws Exception {
        Map<String, List<Long>> subjectRows = subjectRowIds();
        Map<String, String> others = hashes(subjectRows);
        ErasureResult result = eraser(3).erase(connection, user("2"), false);
        assertThat(result.items()).allSatisfy(i -> assertThat(i.remaining()).isZero());
        assertThat(result.items().getFirst().erased()).isEqualTo(20);
        assertThat(hashes(subjectRows)).isEqualTo(others);
    }

    @Test
    void aDryRunCountsAndChangesNothing() throws Exception {
        Map<String, String> all = hashes(Map.of());
        ErasureResult result = eraser(1000).erase(connection, user("2"), true);
        assertThat(result.dryRun()).isTrue();
        assertThat(result.items()).extracting(ErasureResult.Item::matched).containsExactly(20L, 4L, 2L, 2L, 6L, 3L, 1L);
        assertThat(result.items()).allSatisfy(i -> assertThat(i.erased() + i.anonymised()).isZero());
        assertThat(hashes(Map.of())).isEqualTo(all);
    }

    @Test
    void aRepeatedRequestErasesNothingMore() throws Exception {
        eraser(1000).erase(connection, user("2"), false);
        Map<String, String> after = hashes(Map.of());
        ErasureResult again = eraser(1000).erase(connection, user("2"), false);
        assertThat(again.items()).allSatisfy(i -> {
            assertThat(i.matched()).isZero();
            assertThat(i.erased() + i.anonymised() + i.remaining()).isZero();
        });
        assertThat(hashes(Map.of())).isEqualTo(after);
    }

    @Test
    void aPlanThatDoesNotMatchTheSchemaIsRefusedNamingTheFieldAndNothingChanges() throws Exception {
        Map<String, String> all = hashes(Map.of());
        String head = "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"tables\": [{\"table\": \"users\", \"match\": {\"column\": \"id\"}, "
            + "\"action\": \"delete\"}, ";
        Map<String, String> refusals = Map.of(
            head + "{\"table\": \"userz\", \"match\": {\"column\": \"id\"}, \"action\": \"delete\"}]}",
            "erasure.json: tables[1].table: no table 'public.userz'",
            head + "{\"table\": \"consent\", \"match\": {\"column\": \"owner\"}, \"action\": \"delete\"}]}",
            "erasure.json: tables[1].match.column: no column 'owner' in table 'public.consent'",
            head + "{\"table\": \"flyway_schema_history\", \"match\": {\"column\": \"installed_rank\"}, \"action\": \"delete\"}]}",
            "erasure.json: tables[1].table: 'public.flyway_schema_history' is a system or Tidemark table",
            head + "{\"table\": \"pg_authid\", \"schema\": \"pg_catalog\", \"match\": {\"column\": \"oid\"}, \"action\": \"delete\"}]}",
            "erasure.json: tables[1].table: 'pg_catalog.pg_authid' is a system or Tidemark table",
            head + "{\"table\": \"messages\", \"match\": {\"column\": \"conversation_id\", \"through\": [{\"table\": \"conversations\", \"key\": \"id\", "
                + "\"column\": \"title\"}]}, \"action\": \"delete\"}]}",
            "erasure.json: tables[1].match.through: the subject's column is text, which the plan's subject.idType integer cannot match",
            head + "{\"table\": \"audit_log\", \"match\": {\"column\": \"actor_id\"}, \"action\": \"anonymise\", \"set\": {\"nope\": null}}]}",
            "erasure.json: tables[1].set.nope: no column 'nope'");
        for (var r : refusals.entrySet()) {
            PostgresEraser bad = new PostgresEraser("app-db", ErasurePlan.parse(Store.POSTGRES, r.getKey()), KEY, 100, Duration.ofSeconds(30));
            assertThatThrownBy(() -> bad.erase(connection, user("2"), false)).isInstanceOf(ValidationException.class)
                .hasMessageStartingWith(r.getValue());
        }
        assertThat(hashes(Map.of())).as("the first item (users) never ran: every name is checked first").isEqualTo(all);
        assertThat(connection.getAutoCommit()).isTrue();
    }

    @Test
    void pseudonymsAreKeyedHashesOfTheSubjectNeverItsId() throws Exception {
        ErasurePlan pseudonymise = ErasurePlan.parse(Store.POSTGRES, """
            {"subject": {"name": "user", "idType": "integer"},
             "tables": [{"table": "users", "match": {"column": "id"}, "action": "anonymise",
                         "set": {"email": {"pseudonym": true}, "display_name": {"value": "erased"}}}]}""");
        Map<String, List<Long>> subjectRows = subjectRowIds();
        Map<String, String> others = hashes(subjectRows);
        ErasureResult r = new PostgresEraser("app-db", pseudonymise, KEY, 10, Duration.ofSeconds(30)).erase(connection, user("2"), false);
        assertThat(r.items().getFirst().anonymised()).isEqualTo(1);
        try (ResultSet rs = connection.createStatement().executeQuery("SELECT email, display_name FROM users WHERE id = 2")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(user("2").pseudonym(KEY, "user")).doesNotContain("u2@");
            assertThat(rs.getString(2)).isEqualTo("erased");
        }
        assertThat(hashes(subjectRows)).isEqualTo(others);
        ErasureResult again = new PostgresEraser("app-db", pseudonymise, KEY, 10, Duration.ofSeconds(30)).erase(connection, user("2"), false);
        assertThat(again.items().getFirst().anonymised()).as("already pseudonymised: nothing to do").isZero();
    }

    @Test
    void theCoverageCheckFindsSubjectReferencesOutsideThePlanAndUnindexedSubjectColumns() throws Exception {
        assertThat(ErasureCoverage.postgres(connection, plan)).as("the example plan covers the example schema").isEmpty();
        connection.createStatement().execute("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id) ON DELETE CASCADE)");
        assertThat(ErasureCoverage.postgres(connection, plan)).containsExactly(
            "public.orders.user_id references public.users.id, the subject's key, but the plan does not match public.orders on it "
                + "(ON DELETE CASCADE removes its rows with the subject's, uncounted)",
            "public.orders.user_id is named like a subject column, but public.orders is not in the plan");
        ErasurePlan withOrders = ErasurePlan.parse(Store.POSTGRES, """
            {"subject": {"name": "user", "idType": "integer"},
             "tables": [{"table": "orders", "match": {"column": "user_id"}, "action": "delete"},
                        {"table": "users", "match": {"column": "id"}, "action": "delete"}]}""");
        assertThat(ErasureCoverage.postgres(connection, withOrders)).contains(
            "public.orders.user_id has no index that starts with it: an erasure scans public.orders");
    }
}
