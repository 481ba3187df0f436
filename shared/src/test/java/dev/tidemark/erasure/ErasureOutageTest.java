package dev.tidemark.erasure;

import com.mongodb.client.MongoClients;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.Placeholders;
import dev.tidemark.migration.Store;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import org.bson.Document;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A store that is down when its part of an erasure request runs: the answer is a retryable error (the state machine
 * retries it, and the request is never COMPLETED without that store), nothing is half-recorded, and once the store is
 * back on the same data and port the same request erases everything, with the counts of one run.
 */
class ErasureOutageTest {

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "mongodb"})
    void aStoreDownWhenItsPartRunsIsRetryableAndTheRetryAfterItIsBackErasesEverything(String storeId, @TempDir Path dir) throws Exception {
        Store store = Store.of(storeId);
        int port = freePort();
        Path plans = Files.createDirectories(dir.resolve("plans"));
        Files.writeString(plans.resolve("erasure.json"), store == Store.POSTGRES
            ? "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"tables\": [{\"table\": \"events\", \"match\": {\"column\": \"user_id\"}, "
                + "\"action\": \"delete\"}]}"
            : "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"collections\": [{\"collection\": \"events\", \"match\": {\"field\": "
                + "\"user_id\"}, \"action\": \"delete\"}]}");
        TidemarkConfig config = new TidemarkConfig(List.of(new TargetConfig("t", store, "s", "filesystem:" + plans, null)), 5, 60, 300,
            Placeholders.NONE);
        String secret = store == Store.POSTGRES
            ? "{\"host\":\"127.0.0.1\",\"port\":" + port + ",\"username\":\"postgres\",\"password\":\"x\",\"dbname\":\"app\"}"
            : "{\"uri\":\"mongodb://127.0.0.1:" + port + "/app\"}";
        ErasureService service = new ErasureService(new EngineFactory(config, Map.of("s", secret)::get, new LocationReader(() -> {
            throw new IllegalStateException("no S3 here");
        })), () -> new byte[32], 7, Duration.ofSeconds(30));
        TargetConfig target = config.target("t").orElseThrow();
        AutoCloseable server = start(store, dir, port);
        try {
            seed(store, port);
            server.close();
            assertThatThrownBy(() -> service.erase(target, "2", false)).as("the store is down")
                .isInstanceOf(TidemarkException.class).satisfies(e -> assertThat(((TidemarkException) e).retryable()).isTrue());
            server = start(store, dir, port);
            ErasureResult r = service.erase(target, "2", false).result();
            assertThat(r.items()).singleElement().satisfies(i -> {
                assertThat(i.erased()).isEqualTo(20);
                assertThat(i.remaining()).isZero();
            });
            assertThat(count(store, port, 1)).as("another subject is untouched").isEqualTo(20);
        } finally {
            server.close();
        }
    }

    private static AutoCloseable start(Store store, Path dir, int port) {
        return store == Store.POSTGRES ? PostgresServer.start(dir.resolve("pg"), port) : MongoServer.start(dir.resolve("mongo.mv"), port);
    }

    private static void seed(Store store, int port) throws Exception {
        if (store == Store.POSTGRES) {
            try (var c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "x")) {
                c.createStatement().execute("CREATE DATABASE app");
            }
            try (var c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/app", "postgres", "x")) {
                c.createStatement().execute("CREATE TABLE events (id bigserial PRIMARY KEY, user_id bigint NOT NULL);"
                    + "INSERT INTO events (user_id) SELECT g % 3 FROM generate_series(1, 60) g");
            }
        } else {
            try (var client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
                for (int g = 1; g <= 60; g++) {
                    client.getDatabase("app").getCollection("events").insertOne(new Document("user_id", (long) (g % 3)));
                }
            }
        }
    }

    private static long count(Store store, int port, long user) throws Exception {
        if (store == Store.POSTGRES) {
            try (var c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/app", "postgres", "x");
                 var rs = c.createStatement().executeQuery("SELECT count(*) FROM events WHERE user_id = " + user)) {
                rs.next();
                return rs.getLong(1);
            }
        }
        try (var client = MongoClients.create("mongodb://127.0.0.1:" + port)) {
            return client.getDatabase("app").getCollection("events").countDocuments(new Document("user_id", user));
        }
    }
}
