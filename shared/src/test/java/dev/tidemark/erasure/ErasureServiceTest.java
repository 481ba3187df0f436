package dev.tidemark.erasure;

import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.error.ValidationException;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.MigrationEngine;
import dev.tidemark.migration.Placeholders;
import dev.tidemark.migration.Store;
import dev.tidemark.migration.TargetVersion;
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

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The erasure service on the three stores migrated with the examples, each target reading its plan from its location. */
@ExtendWith(ServersExtension.class)
class ErasureServiceTest {

    @Test
    void eachTargetErasesTheSubjectPerThePlanInItsLocation(PostgresServer pg, MongoServer mongo, ElasticsearchServer es) throws Exception {
        String pgDb = TestServers.unique("erasure");
        pg.createDatabase(pgDb);
        String mongoDb = TestServers.unique("erasure");
        cleanElasticsearch(es);
        try {
            erase(pg, mongo, es, pgDb, mongoDb);
        } finally {
            cleanElasticsearch(es);
        }
    }

    /** The examples' indices, template, history and lock: the node is shared with other tests, which expect it empty. */
    private static void cleanElasticsearch(ElasticsearchServer es) {
        try (ElasticClient c = new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null))) {
            c.send("PUT", "/tracks-v1/_settings", "{\"index.blocks.write\": null}");
            for (String index : List.of("tidemark_schema_history", "tidemark_lock", "tidemark_backfill", "audit-v1", "tracks-v1", "tracks-v2", "genres-v1")) {
                c.send("DELETE", "/" + index + "?ignore_unavailable=true", null);
            }
            c.send("DELETE", "/_index_template/tracks", null);
        }
    }

    private static void erase(PostgresServer pg, MongoServer mongo, ElasticsearchServer es, String pgDb, String mongoDb) throws Exception {
        String examples = Repo.root().resolve("examples").toString();
        var empty = Files.createTempDirectory("tidemark-no-plan");
        TidemarkConfig config = new TidemarkConfig(List.of(
            new TargetConfig("app-db", Store.POSTGRES, "pg", "filesystem:" + examples + "/postgres", null),
            new TargetConfig("app-docs", Store.MONGODB, "mongo", "filesystem:" + examples + "/mongodb", null),
            new TargetConfig("search", Store.ELASTICSEARCH, "es", "filesystem:" + examples + "/elasticsearch", null),
            new TargetConfig("no-plan", Store.POSTGRES, "pg", "filesystem:" + empty, null)), 5, 60, 300, Placeholders.NONE);
        Map<String, String> secrets = Map.of(
            "pg", "{\"host\":\"127.0.0.1\",\"port\":" + pg.port() + ",\"username\":\"postgres\",\"password\":\"x\",\"dbname\":\"" + pgDb + "\"}",
            "mongo", "{\"uri\":\"" + mongo.uri() + "/" + mongoDb + "\"}",
            "es", "{\"url\":\"" + es.url() + "\"}");
        EngineFactory engines = new EngineFactory(config, secrets::get, new LocationReader(() -> {
            throw new IllegalStateException("no S3 here");
        }));
        for (String t : List.of("app-db", "app-docs", "search")) {
            try (MigrationEngine e = engines.open(config.target(t).orElseThrow())) {
                e.migrate(TargetVersion.LATEST, false);
            }
        }
        try (var c = java.sql.DriverManager.getConnection(pg.jdbcUrl(pgDb), "postgres", "x")) {
            c.createStatement().execute("INSERT INTO users (email, display_name) SELECT 'u' || g || '@example.com', 'U' || g FROM generate_series(1, 3) g;"
                + "INSERT INTO consent (user_id, purpose, granted) SELECT g, 'marketing', true FROM generate_series(1, 3) g");
        }
        try (var client = com.mongodb.client.MongoClients.create(mongo.uri())) {
            for (long u = 1; u <= 3; u++) {
                client.getDatabase(mongoDb).getCollection("user_profiles").insertOne(new Document("user_id", u).append("email", "u" + u + "@x.org"));
                client.getDatabase(mongoDb).getCollection("geo_events").insertOne(new Document("user_id", u));
            }
        }
        try (ElasticClient c = new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null))) {
            for (int u = 1; u <= 3; u++) {
                c.send("POST", "/audit/_doc?refresh=true", "{\"entity_type\": \"user\", \"entity_id\": \"" + u + "\", \"action\": \"update\", "
                    + "\"actor_id\": \"" + u + "\"}");
            }
        }
        ErasureService service = new ErasureService(engines, () -> "pseudonym-key".getBytes(), 500, Duration.ofSeconds(30));

        ErasureResult dry = service.erase(config.target("app-db").orElseThrow(), "2", true).result();
        assertThat(dry.items()).filteredOn(i -> i.name().equals("public.users")).singleElement().satisfies(i -> assertThat(i.matched()).isEqualTo(1));

        assertThat(service.erase(config.target("app-db").orElseThrow(), "2", false).result().items())
            .filteredOn(i -> i.matched() > 0).extracting(ErasureResult.Item::name, ErasureResult.Item::remaining)
            .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("public.consent", 0L), org.assertj.core.groups.Tuple.tuple("public.users", 0L));
        assertThat(service.erase(config.target("app-docs").orElseThrow(), "2", false).result().items())
            .extracting(ErasureResult.Item::name, ErasureResult.Item::erased, ErasureResult.Item::anonymised).containsExactly(
                org.assertj.core.groups.Tuple.tuple("geo_events", 0L, 1L), org.assertj.core.groups.Tuple.tuple("consent", 0L, 0L),
                org.assertj.core.groups.Tuple.tuple("user_profiles", 1L, 0L));
        assertThat(service.erase(config.target("search").orElseThrow(), "2", false).result().items())
            .extracting(ErasureResult.Item::name, ErasureResult.Item::erased).containsExactly(org.assertj.core.groups.Tuple.tuple("audit", 1L));

        try (var c = java.sql.DriverManager.getConnection(pg.jdbcUrl(pgDb), "postgres", "x");
             var rs = c.createStatement().executeQuery("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM consent)")) {
            rs.next();
            assertThat(rs.getLong(1)).as("the other users stay").isEqualTo(2);
            assertThat(rs.getLong(2)).isEqualTo(2);
        }
        assertThatThrownBy(() -> service.erase(config.target("no-plan").orElseThrow(), "2", false)).isInstanceOf(ValidationException.class)
            .hasMessage("targets: target 'no-plan' has no erasure.json in its migration location");
        for (String hostile : List.of("2 OR 1=1", "*", "2; DELETE FROM users", "x".repeat(300))) {
            assertThatThrownBy(() -> service.erase(config.target("app-db").orElseThrow(), hostile, false)).isInstanceOf(ValidationException.class)
                .hasMessageStartingWith("subject.id: ");
        }
    }
}
