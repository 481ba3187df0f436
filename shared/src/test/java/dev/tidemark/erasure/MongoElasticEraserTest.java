package dev.tidemark.erasure;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Sorts;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.Store;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.testing.Repo;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Erasure of one user with the example plans on the MongoDB wire server and the Elasticsearch node. */
@ExtendWith(ServersExtension.class)
class MongoElasticEraserTest {

    private static final byte[] KEY = "test-pseudonym-key".getBytes();

    private static ErasurePlan example(Store store) throws Exception {
        return ErasurePlan.parse(store, Files.readString(Repo.root().resolve("examples").resolve(store.id()).resolve(ErasurePlan.FILE)));
    }

    private static SubjectId user(long id) {
        return SubjectId.parse(Long.toString(id), SubjectId.IdType.INTEGER, "subject.id");
    }

    private static MongoDatabase seeded(MongoClient client) {
        MongoDatabase db = client.getDatabase(TestServers.unique("erasure"));
        for (long u = 1; u <= 3; u++) {
            db.getCollection("user_profiles").insertOne(new Document("user_id", u).append("email", "u" + u + "@example.com")
                .append("first_name", "F" + u).append("country", "DE"));
            for (String purpose : List.of("marketing", "analytics")) {
                db.getCollection("consent").insertOne(new Document("user_id", u).append("purpose", purpose).append("granted", true));
            }
            for (int k = 0; k < 7; k++) {
                db.getCollection("geo_events").insertOne(new Document("user_id", u).append("k", k)
                    .append("location", new Document("type", "Point").append("coordinates", List.of(13.4, 52.5))));
            }
        }
        db.getCollection("multilingual_content").insertOne(new Document("title", "unrelated"));
        return db;
    }

    /** @return every document of every collection, by collection, as JSON in _id order */
    private static Map<String, List<String>> contents(MongoDatabase db) {
        Map<String, List<String>> out = new TreeMap<>();
        for (String c : db.listCollectionNames()) {
            List<String> docs = new ArrayList<>();
            db.getCollection(c).find().sort(Sorts.ascending("_id")).forEach(d -> docs.add(d.toJson()));
            out.put(c, docs);
        }
        return out;
    }

    /** @return the contents without the user's documents (by id, or by pseudonym once erased) */
    private static Map<String, List<String>> withoutUser(Map<String, List<String>> contents, long user) {
        String pseudonym = user(user).pseudonym(KEY, "user");
        Map<String, List<String>> out = new TreeMap<>();
        contents.forEach((c, docs) -> out.put(c, docs.stream().filter(d -> !d.contains("\"user_id\": " + user + ",") && !d.contains(pseudonym))
            .toList()));
        return out;
    }

    @Test
    void aMongoErasureDeletesAndPseudonymisesOnlyTheSubject(MongoServer server) throws Exception {
        try (MongoClient client = MongoClients.create(server.uri())) {
            MongoDatabase db = seeded(client);
            Map<String, List<String>> before = contents(db);
            ErasureResult r = new MongoEraser("app-docs", example(Store.MONGODB), KEY, 3).erase(db, user(2), false);
            assertThat(r.items()).extracting(ErasureResult.Item::name, ErasureResult.Item::matched, ErasureResult.Item::erased,
                ErasureResult.Item::anonymised, ErasureResult.Item::remaining).containsExactly(
                org.assertj.core.groups.Tuple.tuple("geo_events", 7L, 0L, 7L, 0L),
                org.assertj.core.groups.Tuple.tuple("consent", 2L, 2L, 0L, 0L),
                org.assertj.core.groups.Tuple.tuple("user_profiles", 1L, 1L, 0L, 0L));
            String pseudonym = user(2).pseudonym(KEY, "user");
            assertThat(db.getCollection("geo_events").countDocuments(new Document("user_id", pseudonym))).as("events kept, pseudonymised").isEqualTo(7);
            assertThat(withoutUser(contents(db), 2)).as("no other document changed").isEqualTo(withoutUser(before, 2));
            for (String c : List.of("geo_events", "consent", "user_profiles")) {
                assertThat(db.getCollection(c).countDocuments(new Document("user_id", 2L))).as(c).isZero();
            }
            Map<String, List<String>> after = contents(db);
            ErasureResult again = new MongoEraser("app-docs", example(Store.MONGODB), KEY, 3).erase(db, user(2), false);
            assertThat(again.items()).allSatisfy(i -> assertThat(i.matched() + i.erased() + i.anonymised() + i.remaining()).isZero());
            assertThat(contents(db)).as("a repeated request changes nothing").isEqualTo(after);
        }
    }

    @Test
    void theMongoCoverageCheckFindsSubjectFieldsOutsideThePlanAndUnindexedOnes(MongoServer server) throws Exception {
        try (MongoClient client = MongoClients.create(server.uri())) {
            MongoDatabase db = seeded(client);
            db.getCollection("orders").insertOne(new Document("user_id", 1L));
            db.getCollection("consent").createIndex(new Document("user_id", 1).append("purpose", 1));
            assertThat(ErasureCoverage.mongo(db, example(Store.MONGODB))).containsExactly(
                "orders holds documents with a field user_id, named like the subject's, but orders is not in the plan",
                "geo_events.user_id has no index that starts with it: an erasure scans geo_events",
                "user_profiles.user_id has no index that starts with it: an erasure scans user_profiles");
        }
    }

    @Test
    void aMongoDryRunAndABadPlanChangeNothing(MongoServer server) throws Exception {
        try (MongoClient client = MongoClients.create(server.uri())) {
            MongoDatabase db = seeded(client);
            Map<String, List<String>> before = contents(db);
            ErasureResult dry = new MongoEraser("app-docs", example(Store.MONGODB), KEY, 3).erase(db, user(2), true);
            assertThat(dry.items()).extracting(ErasureResult.Item::matched).containsExactly(7L, 2L, 1L);
            String head = "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"collections\": [{\"collection\": \"consent\", "
                + "\"match\": {\"field\": \"user_id\"}, \"action\": \"delete\"}, ";
            for (var bad : Map.of(
                head + "{\"collection\": \"profiles\", \"match\": {\"field\": \"user_id\"}, \"action\": \"delete\"}]}",
                "erasure.json: collections[1].collection: no collection 'profiles'",
                head + "{\"collection\": \"tidemark_schema_history\", \"match\": {\"field\": \"version\"}, \"action\": \"delete\"}]}",
                "erasure.json: collections[1].collection: 'tidemark_schema_history' is a system or Tidemark collection").entrySet()) {
                MongoEraser eraser = new MongoEraser("app-docs", ErasurePlan.parse(Store.MONGODB, bad.getKey()), KEY, 3);
                assertThatThrownBy(() -> eraser.erase(db, user(2), false)).isInstanceOf(ValidationException.class)
                    .hasMessageStartingWith(bad.getValue());
            }
            ErasurePlan strings = ErasurePlan.parse(Store.MONGODB, "{\"subject\": {\"name\": \"user\", \"idType\": \"string\"}, \"collections\": "
                + "[{\"collection\": \"consent\", \"match\": {\"field\": \"user_id\"}, \"action\": \"delete\"}]}");
            ErasureResult literal = new MongoEraser("app-docs", strings, KEY, 3)
                .erase(db, SubjectId.parse("{\"$ne\": null}", SubjectId.IdType.STRING, "subject.id"), false);
            assertThat(literal.items().getFirst().matched()).as("an operator in the id is a literal string: it matches nothing").isZero();
            assertThat(contents(db)).isEqualTo(before);
        }
    }

    private static void index(ElasticClient c, String index, String id, String body) {
        assertThat(c.send("PUT", "/" + index + "/_doc/" + id, body).ok()).isTrue();
    }

    private static List<String> ids(ElasticClient c, String index) {
        c.send("POST", "/" + index + "/_refresh", null);
        List<String> out = new ArrayList<>();
        c.send("GET", "/" + index + "/_search?size=1000&sort=_id", null).body().path("hits").path("hits").forEach(h -> out.add(h.path("_index").asText()
            + "/" + h.path("_id").asText() + "/" + h.path("_source")));
        return out;
    }

    @Test
    void anElasticsearchErasureDeletesTheSubjectsEntriesThroughTheAliasAndNothingElse(ElasticsearchServer server) throws Exception {
        try (ElasticClient c = new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null))) {
            for (String i : List.of("audit-v1", "audit-v0", "tracks-x")) {
                c.send("DELETE", "/" + i + "?ignore_unavailable=true", null);
            }
            c.send("PUT", "/audit-v0", "{\"settings\": {\"number_of_replicas\": 0}, \"mappings\": {\"properties\": {\"actor_id\": {\"type\": \"keyword\"}}}}");
            c.send("PUT", "/audit-v1", "{\"settings\": {\"number_of_replicas\": 0}, \"mappings\": {\"properties\": {\"actor_id\": {\"type\": \"keyword\"}}}, "
                + "\"aliases\": {\"audit\": {\"is_write_index\": true}}}");
            c.send("POST", "/_aliases", "{\"actions\": [{\"add\": {\"index\": \"audit-v0\", \"alias\": \"audit\"}}]}");
            c.send("PUT", "/tracks-x", "{\"settings\": {\"number_of_replicas\": 0}, \"mappings\": {\"properties\": {\"actor_id\": {\"type\": \"keyword\"}}}}");
            for (int u = 1; u <= 3; u++) {
                for (int k = 0; k < 5; k++) {
                    index(c, k % 2 == 0 ? "audit-v1" : "audit-v0", u + "-" + k, "{\"actor_id\": \"" + u + "\", \"k\": " + k + "}");
                }
                index(c, "tracks-x", "t" + u, "{\"actor_id\": \"" + u + "\"}");
            }
            assertThat(ErasureCoverage.elastic(c, example(Store.ELASTICSEARCH))).as("audit-v0 and audit-v1 are the plan's alias")
                .contains("tracks-x maps a field actor_id, named like the subject's, but tracks-x is not in the plan")
                .noneMatch(f -> f.startsWith("audit-v"));
            List<String> v0 = ids(c, "audit-v0");
            List<String> v1 = ids(c, "audit-v1");
            List<String> tracks = ids(c, "tracks-x");
            ErasureResult dry = new ElasticEraser("search", example(Store.ELASTICSEARCH), 2).erase(c, user(2), true);
            assertThat(dry.items().getFirst().matched()).isEqualTo(5);
            assertThat(ids(c, "audit-v0")).isEqualTo(v0);
            ElasticEraser bulkPath = new ElasticEraser("search", example(Store.ELASTICSEARCH), 2);
            ErasureResult r = bulkPath.erase(c, user(2), false);
            assertThat(bulkPath.usedDeleteByQuery()).as("this node has no reindex module: search and _bulk").isFalse();
            assertThat(r.items()).extracting(ErasureResult.Item::name, ErasureResult.Item::matched, ErasureResult.Item::erased,
                ErasureResult.Item::remaining).containsExactly(org.assertj.core.groups.Tuple.tuple("audit", 5L, 5L, 0L));
            assertThat(ids(c, "audit-v0")).isEqualTo(v0.stream().filter(d -> !d.contains("\"actor_id\":\"2\"")).toList());
            assertThat(ids(c, "audit-v1")).isEqualTo(v1.stream().filter(d -> !d.contains("\"actor_id\":\"2\"")).toList());
            assertThat(ids(c, "tracks-x")).as("an index outside the plan is not touched").isEqualTo(tracks);
            ErasureResult again = new ElasticEraser("search", example(Store.ELASTICSEARCH), 2).erase(c, user(2), false);
            assertThat(again.items().getFirst().matched() + again.items().getFirst().erased()).isZero();
            for (var bad : Map.of("nope-index", "erasure.json: indices[0].index: no index or alias 'nope-index'",
                "tidemark_lock", "erasure.json: indices[0].index: 'tidemark_lock' is not one plain index or alias name, or is a Tidemark index",
                "audit*", "erasure.json: indices[0].index: 'audit*' is not one plain index").entrySet()) {
                ElasticEraser eraser = new ElasticEraser("search", ErasurePlan.parse(Store.ELASTICSEARCH, "{\"subject\": {\"name\": \"user\", "
                    + "\"idType\": \"integer\"}, \"indices\": [{\"index\": \"" + bad.getKey() + "\", \"match\": {\"field\": \"actor_id\"}, "
                    + "\"action\": \"delete\"}]}"), 2);
                assertThatThrownBy(() -> eraser.erase(c, user(1), false)).isInstanceOf(ValidationException.class).hasMessageStartingWith(bad.getValue());
            }
            assertThat(ids(c, "audit-v0")).hasSize(v0.size() - 2);
        } finally {
            try (ElasticClient c = new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null))) {
                for (String i : List.of("audit-v1", "audit-v0", "tracks-x")) {
                    c.send("DELETE", "/" + i + "?ignore_unavailable=true", null);
                }
            }
        }
    }
}
