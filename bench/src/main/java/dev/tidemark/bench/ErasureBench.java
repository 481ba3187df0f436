package dev.tidemark.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.erasure.ErasureResult;
import dev.tidemark.erasure.ErasureService;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.Placeholders;
import dev.tidemark.migration.Store;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.PostgresServer;
import org.bson.Document;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Erasure of one data subject, side by side in one run on the same server: through Tidemark's erasure service (plan read
 * from the target's location, the schema checked, batches, verification, its own connection per request, as the erasure
 * function does) and as a bare hand-written loop of the same deletes (PostgreSQL: one transaction; MongoDB:
 * {@code deleteMany}; Elasticsearch: search, {@code _bulk} delete, refresh). Each store holds ROWS rows, documents or
 * entries of SUBJECTS subjects, indexed on the subject column; REQUESTS distinct subjects are erased by each side.
 * Prints p50 and p95 per side and their ratio.
 *
 * <p>Usage: {@code bench/erasure [ROWS] [SUBJECTS] [REQUESTS]} (default 1,000,000, 10,000, 20).
 */
public final class ErasureBench {

    private ErasureBench() {
    }

    private static long p(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static void row(String store, long[] tidemark, long[] bare) {
        Arrays.sort(tidemark);
        Arrays.sort(bare);
        System.out.printf("%-14s %10.1f %10.1f %10.1f %10.1f %8.2fx%n", store, p(tidemark, 0.5) / 1e6, p(tidemark, 0.95) / 1e6, p(bare, 0.5) / 1e6,
            p(bare, 0.95) / 1e6, (double) p(tidemark, 0.5) / Math.max(1, p(bare, 0.5)));
    }

    private static void check(ErasureResult r, long expected) {
        long erased = r.items().stream().mapToLong(ErasureResult.Item::erased).sum();
        if (erased != expected || r.items().stream().anyMatch(i -> i.remaining() != 0)) {
            throw new IllegalStateException(r.store() + ": erased " + erased + ", expected " + expected);
        }
    }

    /** @param args optional rows, subjects, requests */
    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int subjects = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int requests = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int per = rows / subjects;
        Path plans = Files.createTempDirectory("bench-erasure");
        for (String store : List.of("postgres", "mongodb", "elasticsearch")) {
            Files.createDirectories(plans.resolve(store));
        }
        Files.writeString(plans.resolve("postgres/erasure.json"), "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"tables\": ["
            + "{\"table\": \"events\", \"match\": {\"column\": \"user_id\"}, \"action\": \"delete\"}]}");
        Files.writeString(plans.resolve("mongodb/erasure.json"), "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"collections\": ["
            + "{\"collection\": \"events\", \"match\": {\"field\": \"user_id\"}, \"action\": \"delete\"}]}");
        Files.writeString(plans.resolve("elasticsearch/erasure.json"), "{\"subject\": {\"name\": \"user\", \"idType\": \"integer\"}, \"indices\": ["
            + "{\"index\": \"events\", \"match\": {\"field\": \"user_id\"}, \"action\": \"delete\"}]}");
        System.out.printf("%d rows of %d subjects per store (%d each), %d requests per side%n", rows, subjects, per, requests);
        System.out.printf("%-14s %10s %10s %10s %10s %9s%n", "store", "p50 ms", "p95 ms", "bare p50", "bare p95", "ratio p50");
        try (PostgresServer pg = PostgresServer.start(null);
             MongoServer mongo = MongoServer.start(null);
             ElasticsearchServer es = ElasticsearchServer.start(Files.createTempDirectory("bench-es"))) {
            pg.createDatabase("bench");
            String mongoDb = "bench";
            TidemarkConfig config = new TidemarkConfig(List.of(
                new TargetConfig("app-db", Store.POSTGRES, "pg", "filesystem:" + plans.resolve("postgres"), null),
                new TargetConfig("app-docs", Store.MONGODB, "mongo", "filesystem:" + plans.resolve("mongodb"), null),
                new TargetConfig("search", Store.ELASTICSEARCH, "es", "filesystem:" + plans.resolve("elasticsearch"), null)), 5, 60, 300,
                Placeholders.NONE);
            Map<String, String> secrets = Map.of(
                "pg", "{\"host\":\"127.0.0.1\",\"port\":" + pg.port() + ",\"username\":\"postgres\",\"password\":\"x\",\"dbname\":\"bench\"}",
                "mongo", "{\"uri\":\"" + mongo.uri() + "/" + mongoDb + "\"}",
                "es", "{\"url\":\"" + es.url() + "\"}");
            ErasureService service = new ErasureService(new EngineFactory(config, secrets::get, new LocationReader(() -> {
                throw new IllegalStateException("no S3 here");
            })), () -> new byte[32], 1000, Duration.ofSeconds(60));

            // PostgreSQL
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("bench"), "postgres", "x")) {
                c.createStatement().execute("CREATE TABLE events (id bigserial PRIMARY KEY, user_id bigint NOT NULL, payload text NOT NULL);"
                    + "INSERT INTO events (user_id, payload) SELECT g % " + subjects + ", md5(g::text) FROM generate_series(1, " + rows + ") g;"
                    + "CREATE INDEX events_user_id_idx ON events (user_id); ANALYZE events");
                long[] tidemark = new long[requests];
                long[] bare = new long[requests];
                for (int i = 0; i < requests; i++) {
                    long t0 = System.nanoTime();
                    check(service.erase(config.target("app-db").orElseThrow(), Integer.toString(2 * i), false).result(), per);
                    tidemark[i] = System.nanoTime() - t0;
                    t0 = System.nanoTime();
                    try (Connection own = DriverManager.getConnection(pg.jdbcUrl("bench"), "postgres", "x");
                         PreparedStatement ps = own.prepareStatement("DELETE FROM events WHERE user_id = ?")) {
                        own.setAutoCommit(false);
                        ps.setLong(1, 2L * i + 1);
                        if (ps.executeUpdate() != per) {
                            throw new IllegalStateException("bare postgres delete");
                        }
                        own.commit();
                    }
                    bare[i] = System.nanoTime() - t0;
                }
                row("postgres", tidemark, bare);
            }

            // MongoDB
            try (MongoClient client = MongoClients.create(mongo.uri())) {
                MongoCollection<Document> events = client.getDatabase(mongoDb).getCollection("events");
                List<Document> batch = new ArrayList<>();
                for (int g = 1; g <= rows; g++) {
                    batch.add(new Document("user_id", (long) (g % subjects)).append("payload", Integer.toHexString(g * 31)));
                    if (batch.size() == 10_000) {
                        events.insertMany(batch);
                        batch.clear();
                    }
                }
                if (!batch.isEmpty()) {
                    events.insertMany(batch);
                }
                events.createIndex(Indexes.ascending("user_id"));
                long[] tidemark = new long[requests];
                long[] bare = new long[requests];
                for (int i = 0; i < requests; i++) {
                    long t0 = System.nanoTime();
                    check(service.erase(config.target("app-docs").orElseThrow(), Integer.toString(2 * i), false).result(), per);
                    tidemark[i] = System.nanoTime() - t0;
                    t0 = System.nanoTime();
                    try (MongoClient own = MongoClients.create(mongo.uri())) {
                        if (own.getDatabase(mongoDb).getCollection("events").deleteMany(Filters.eq("user_id", 2L * i + 1)).getDeletedCount() != per) {
                            throw new IllegalStateException("bare mongodb delete");
                        }
                    }
                    bare[i] = System.nanoTime() - t0;
                }
                row("mongodb", tidemark, bare);
            }

            // Elasticsearch
            try (ElasticClient client = new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null))) {
                client.send("PUT", "/events", "{\"settings\": {\"number_of_replicas\": 0, \"refresh_interval\": \"-1\"}, \"mappings\": {\"properties\": "
                    + "{\"user_id\": {\"type\": \"long\"}, \"payload\": {\"type\": \"keyword\"}}}}");
                StringBuilder bulk = new StringBuilder();
                for (int g = 1; g <= rows; g++) {
                    bulk.append("{\"index\":{}}\n{\"user_id\":").append(g % subjects).append(",\"payload\":\"").append(Integer.toHexString(g * 31))
                        .append("\"}\n");
                    if (g % 20_000 == 0 || g == rows) {
                        if (!client.send("POST", "/events/_bulk", bulk.toString()).ok()) {
                            throw new IllegalStateException("loading elasticsearch");
                        }
                        bulk.setLength(0);
                    }
                }
                client.send("PUT", "/events/_settings", "{\"index\": {\"refresh_interval\": \"1s\"}}");
                client.send("POST", "/events/_refresh", null);
                long[] tidemark = new long[requests];
                long[] bare = new long[requests];
                for (int i = 0; i < requests; i++) {
                    long t0 = System.nanoTime();
                    check(service.erase(config.target("search").orElseThrow(), Integer.toString(2 * i), false).result(), per);
                    tidemark[i] = System.nanoTime() - t0;
                    t0 = System.nanoTime();
                    try (ElasticClient own = new ElasticClient(new ConnectionSecrets.Elastic(es.url(), null, null, null))) {
                        var hits = own.send("POST", "/events/_search", "{\"size\": 10000, \"_source\": false, \"query\": {\"term\": {\"user_id\": "
                            + (2 * i + 1) + "}}}").body().path("hits").path("hits");
                        StringBuilder del = new StringBuilder();
                        hits.forEach(h -> del.append("{\"delete\":{\"_index\":\"events\",\"_id\":\"").append(h.path("_id").asText()).append("\"}}\n"));
                        if (hits.size() != per || !own.send("POST", "/_bulk?refresh=true", del.toString()).ok()) {
                            throw new IllegalStateException("bare elasticsearch delete");
                        }
                    }
                    bare[i] = System.nanoTime() - t0;
                }
                row("elasticsearch", tidemark, bare);
            }
        }
    }
}
