package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.config.AwsClients;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.json.Json;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.Placeholders;
import dev.tidemark.migration.Store;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.servers.S3Server;
import dev.tidemark.testing.TestServers;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A bulk service wired to the shared real servers: targets {@code pg}, {@code docs}, {@code search} (and {@code pg2},
 * another PostgreSQL database), the bulk bucket {@value #BUCKET} on S3Proxy.
 */
final class BulkFixture {

    static final String BUCKET = "tidemark-bulk";
    /** The key continuations are signed with in these tests. */
    static final byte[] KEY = "bulk-fixture-continuation-key-0123456789".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    static final ContinuationCodec TOKENS = new ContinuationCodec(() -> KEY);

    final S3Client s3;
    final BulkService service;
    final String pgDatabase;
    private final PostgresServer pg;
    final String mongoDatabase;
    final Map<String, String> env;
    /** Connection secrets by id; a test may add {@code throttled-secret}. */
    final Map<String, String> secrets = new java.util.concurrent.ConcurrentHashMap<>();

    BulkFixture(PostgresServer pg, MongoServer mongo, ElasticsearchServer es, S3Server s3server) {
        this.pg = pg;
        pgDatabase = TestServers.unique("bulk");
        pg.createDatabase(pgDatabase);
        pg.createRoles(pgDatabase, ROLE_PASSWORD);
        mongoDatabase = TestServers.unique("bulk");
        env = Map.of("AWS_ENDPOINT_URL_S3", s3server.endpoint(), "AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY",
            S3Server.SECRET_KEY, "AWS_REGION", "us-east-1", "AWS_REQUEST_CHECKSUM_CALCULATION", "when_required",
            "AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required");
        s3 = new AwsClients(env).s3();
        if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(BUCKET))) {
            s3.createBucket(b -> b.bucket(BUCKET));
        }
        Path empty;
        try {
            empty = Files.createTempDirectory("tidemark-bulk-migrations");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String location = "filesystem:" + empty;
        List<TargetConfig> targets = new ArrayList<>(List.of(
            new TargetConfig("pg", Store.POSTGRES, "pg-secret", location, null),
            new TargetConfig("pg-reader", Store.POSTGRES, "pg-reader-secret", location, null),
            new TargetConfig("pg-loader", Store.POSTGRES, "pg-loader-secret", location, null),
            new TargetConfig("pg-allow", Store.POSTGRES, "pg-secret", location, null, List.of("public.items", "public.items_c*")),
            new TargetConfig("docs-allow", Store.MONGODB, "mongo-secret", location, null, List.of("tracks")),
            new TargetConfig("docs", Store.MONGODB, "mongo-secret", location, null),
            new TargetConfig("search", Store.ELASTICSEARCH, "es-secret", location, null),
            new TargetConfig("throttled", Store.ELASTICSEARCH, "throttled-secret", location, null)));
        TidemarkConfig config = new TidemarkConfig(targets, 5, 60, 300, Placeholders.NONE);
        secrets.putAll(Map.of(
            "pg-secret", "{\"host\":\"127.0.0.1\",\"port\":" + pg.port() + ",\"username\":\"postgres\",\"password\":\"trust\",\"dbname\":\"" + pgDatabase + "\"}",
            "pg-reader-secret", "{\"host\":\"127.0.0.1\",\"port\":" + pg.port() + ",\"username\":\"" + PostgresServer.READER
                + "\",\"password\":\"" + ROLE_PASSWORD + "\",\"dbname\":\"" + pgDatabase + "\"}",
            "pg-loader-secret", "{\"host\":\"127.0.0.1\",\"port\":" + pg.port() + ",\"username\":\"" + PostgresServer.LOADER
                + "\",\"password\":\"" + ROLE_PASSWORD + "\",\"dbname\":\"" + pgDatabase + "\"}",
            "mongo-secret", "{\"uri\":\"" + mongo.uri() + "/" + mongoDatabase + "\"}",
            "es-secret", "{\"url\":\"" + (es == null ? "http://127.0.0.1:1" : es.url()) + "\"}"));
        service = new BulkService(new EngineFactory(config, secrets::get, new LocationReader(() -> s3)), s3, BUCKET, TOKENS);
    }

    /** The password of the reader and loader roles (the server trusts local connections, so any password works). */
    static final String ROLE_PASSWORD = "reader-and-loader";

    /** @param user a role @return a connection to this fixture's PostgreSQL database as that role */
    java.sql.Connection connect(String user) throws java.sql.SQLException {
        return java.sql.DriverManager.getConnection(pg.jdbcUrl(pgDatabase), user, ROLE_PASSWORD);
    }

    /** Runs one statement on this fixture's PostgreSQL database as the superuser. */
    void sql(String statement) throws java.sql.SQLException {
        try (java.sql.Connection c = connect("postgres"); java.sql.Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    /** @return a fresh export folder */
    static String folder() {
        return "s3://" + BUCKET + "/" + TestServers.unique("export") + "/";
    }

    static ObjectNode event(String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs an export to the end, one invocation per call; @return the invocations it took */
    int exportAll(ObjectNode event, Budget budget) {
        int calls = 0;
        while (true) {
            calls++;
            BulkService.BulkOutcome o = service.export(service.exportRequest(event), budget);
            if (o.done()) {
                return calls;
            }
            event.set("continuation", com.fasterxml.jackson.databind.node.TextNode.valueOf(o.token()));
        }
    }

    /** Runs an import to the end; @return the invocations it took */
    int importAll(ObjectNode event, Budget budget) {
        int calls = 0;
        while (true) {
            calls++;
            BulkService.BulkOutcome o = service.importData(service.importRequest(event), budget);
            if (o.done()) {
                return calls;
            }
            event.set("continuation", com.fasterxml.jackson.databind.node.TextNode.valueOf(o.token()));
        }
    }

    /** @return a budget whose soft limit has already passed: one part per invocation */
    static Budget tiny() {
        return Budget.of(java.time.Duration.ZERO, java.time.Duration.ofMinutes(5));
    }

    JsonNode manifest(String folder) {
        String key = folder.substring(("s3://" + BUCKET + "/").length()) + Manifest.FILE;
        try {
            return Json.MAPPER.readTree(s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void putManifest(String folder, JsonNode manifest) {
        String key = folder.substring(("s3://" + BUCKET + "/").length()) + Manifest.FILE;
        s3.putObject(b -> b.bucket(BUCKET).key(key), software.amazon.awssdk.core.sync.RequestBody.fromString(manifest.toString()));
    }
}
