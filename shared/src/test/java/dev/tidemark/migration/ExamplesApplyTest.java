package dev.tidemark.migration;

import com.fasterxml.jackson.databind.JsonNode;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.elastic.ElasticEngine;
import dev.tidemark.location.Location;
import dev.tidemark.location.LocationReader;
import dev.tidemark.mongo.MongoEngine;
import dev.tidemark.postgres.PostgresEngine;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.testing.Repo;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The example migration set under {@code examples/} applies cleanly to each store's server. */
@ExtendWith(ServersExtension.class)
class ExamplesApplyTest {

    private static List<MigrationScript> examples(Store store) {
        LocationReader reader = new LocationReader(() -> {
            throw new IllegalStateException("no S3 here");
        });
        String dir = Repo.root().resolve("examples").resolve(store.id()).toString();
        return MigrationResolver.resolve(store, reader.read(Location.parse("filesystem:" + dir), store.extension()));
    }

    @Test
    void postgresExamplesCreateThePartitionedSchema(PostgresServer server) throws Exception {
        String db = TestServers.unique("examples");
        server.createDatabase(db);
        List<MigrationScript> scripts = examples(Store.POSTGRES);
        assertThat(scripts).hasSizeGreaterThanOrEqualTo(5);
        try (PostgresEngine engine = new PostgresEngine("app-db", new ConnectionSecrets.Postgres("127.0.0.1", server.port(), db, "postgres", "x"),
            scripts, 10)) {
            MigrateResult result = engine.migrate(TargetVersion.LATEST, false);
            assertThat(result.migrations()).hasSize(scripts.size());
        }
        try (var c = DriverManager.getConnection(server.jdbcUrl(db), "postgres", "x");
             var rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_inherits WHERE inhparent = 'analytics'::regclass")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(4);
        }
    }

    @Test
    void mongodbExamplesCreateCollectionsIndexesAndBackfill(MongoServer server) {
        String db = TestServers.unique("examples");
        List<MigrationScript> scripts = examples(Store.MONGODB);
        assertThat(scripts).hasSizeGreaterThanOrEqualTo(5);
        try (MongoClient client = MongoClients.create(server.uri())) {
            client.getDatabase(db).getCollection("user_profiles", Document.class).withDocumentClass(Document.class);
            try (MongoEngine engine = new MongoEngine("app-docs", MongoClients.create(server.uri()), db, scripts.subList(0, 3),
                Duration.ofSeconds(30), Duration.ofSeconds(10))) {
                engine.migrate(TargetVersion.LATEST, false);
            }
            client.getDatabase(db).getCollection("user_profiles").insertOne(new Document("user_id", 1L).append("email", "ada@example.org")
                .append("first_name", "Ada").append("last_name", "Lovelace").append("created_at", new java.util.Date()));
            try (MongoEngine engine = new MongoEngine("app-docs", MongoClients.create(server.uri()), db, scripts, Duration.ofSeconds(30),
                Duration.ofSeconds(10))) {
                MigrateResult result = engine.migrate(TargetVersion.LATEST, false);
                assertThat(result.versionAfter()).isEqualTo(scripts.getLast().version());
            }
            Document ada = client.getDatabase(db).getCollection("user_profiles").find().first();
            assertThat(ada.getString("display_name")).isEqualTo("Ada Lovelace");
            assertThat(client.getDatabase(db).getCollection("geo_events").listIndexes().into(new ArrayList<>()))
                .extracting(d -> d.getString("name")).contains("location_2dsphere");
            assertThat(client.getDatabase(db).getCollection("consent_purposes").countDocuments()).isEqualTo(3);
        }
    }

    @Test
    void elasticsearchExamplesCreateTemplateIndicesAndAliases(ElasticsearchServer server) {
        List<MigrationScript> scripts = examples(Store.ELASTICSEARCH);
        assertThat(scripts).hasSizeGreaterThanOrEqualTo(5);
        try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null))) {
            List<String> indices = List.of("tidemark_schema_history", "tidemark_lock", "tidemark_backfill", "tracks-v1", "tracks-v2", "audit-v1", "genres-v1");
            indices.forEach(index -> client.send("DELETE", "/" + index + "?ignore_unavailable=true", null));
            try (ElasticEngine engine = new ElasticEngine("search", new ElasticClient(new ConnectionSecrets.Elastic(server.url(), null, null, null)),
                scripts, Duration.ofSeconds(30), Duration.ofSeconds(10))) {
                engine.migrate(TargetVersion.parse("3"), false);
                client.send("PUT", "/tracks/_doc/t1?refresh=true", "{\"track_id\": \"t1\", \"title\": \"So What\", \"updated_at\": \"2026-11-01T00:00:00Z\"}");
                MigrationScript v4 = scripts.stream().filter(x -> x.version().toString().equals("4")).findFirst().orElseThrow();
                assertThat(engine.backfills().declares(v4)).as("V4 declares the reindex").isTrue();
                assertThat(engine.backfills().run(v4, () -> false).finished()).isTrue();
                engine.migrate(TargetVersion.LATEST, false);
            }
            JsonNode alias = client.send("GET", "/_alias/tracks", null).body();
            assertThat(alias.has("tracks-v2") && !alias.has("tracks-v1")).as(alias.toString()).isTrue();
            assertThat(client.send("GET", "/tracks-v2/_mapping", null).body().path("tracks-v2").path("mappings").path("properties").has("mood")).isTrue();
            assertThat(client.send("GET", "/tracks-v1/_mapping", null).body().path("tracks-v1").path("mappings").path("properties").has("mood"))
                .as("the old index never got the field: the undo can go back to it").isFalse();
            assertThat(client.send("GET", "/tracks/_doc/t1", null).body().path("_source").path("title").asText()).isEqualTo("So What");
            assertThat(client.send("GET", "/genres/_count", null).body().path("count").asInt()).isEqualTo(3);
            assertThat(client.send("GET", "/_cluster/health", null).body().path("status").asText()).isEqualTo("green");
            client.send("PUT", "/tracks-v1/_settings", "{\"index.blocks.write\": null}");
            indices.forEach(index -> client.send("DELETE", "/" + index + "?ignore_unavailable=true", null));
        }
    }
}
