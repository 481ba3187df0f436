package dev.tidemark.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import dev.tidemark.elastic.ElasticClient;
import dev.tidemark.functions.erasure.ErasureHandler;
import dev.tidemark.local.LocalContext;
import dev.tidemark.secrets.ConnectionSecrets;
import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.MotoServer;
import dev.tidemark.servers.PostgresServer;
import org.bson.Document;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Erasure of one data subject, side by side in one run on the same server: through the erasure function (its Lambda
 * handler invoked with a JSON event, as Lambda calls it warm: the event parsed, the target's secret from Secrets Manager
 * (moto) cached, the plan read from the target's location, the schema checked, batches, verification, the coverage
 * check, a connection of its own per request, the JSON answer written) and as a bare hand-written loop of the same deletes (PostgreSQL: one transaction; MongoDB:
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

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** One erasure through the function's handler; checks its answer: everything erased, nothing left. */
    private static void erase(ErasureHandler handler, String target, String subject, long expected) throws java.io.IOException {
        String event = "{\"requestId\": \"bench\", \"target\": \"" + target + "\", \"subject\": {\"id\": \"" + subject + "\"}, \"dryRun\": false}";
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        handler.handleRequest(new java.io.ByteArrayInputStream(event.getBytes(java.nio.charset.StandardCharsets.UTF_8)), out,
            new LocalContext("ErasureFunction", 900, 1024));
        var answer = JSON.readTree(out.toByteArray());
        long erased = 0;
        for (var item : answer.path("result").path("items")) {
            erased += item.path("erased").asLong();
            if (item.path("remaining").asLong() != 0) {
                throw new IllegalStateException(target + ": something left: " + answer);
            }
        }
        if (erased != expected || !answer.path("done").asBoolean()) {
            throw new IllegalStateException(target + ": erased " + erased + ", expected " + expected);
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
        System.out.printf("%-14s %10s %10s %10s %10s %9s%n", "store", "fn p50 ms", "fn p95 ms", "bare p50", "bare p95", "ratio p50");
        try (PostgresServer pg = PostgresServer.start(null);
             MongoServer mongo = MongoServer.start(null);
             ElasticsearchServer es = ElasticsearchServer.start(Files.createTempDirectory("bench-es"));
             MotoServer moto = MotoServer.start()) {
            pg.createDatabase("bench");
            String mongoDb = "bench";
            Map<String, String> secrets = Map.of(
                "pg", "{\"host\":\"127.0.0.1\",\"port\":" + pg.port() + ",\"username\":\"postgres\",\"password\":\"x\",\"dbname\":\"bench\"}",
                "mongo", "{\"uri\":\"" + mongo.uri() + "/" + mongoDb + "\"}",
                "es", "{\"url\":\"" + es.url() + "\"}");
            Map<String, String> env = new java.util.HashMap<>(Map.of("AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "bench",
                "AWS_SECRET_ACCESS_KEY", "bench", "AWS_ENDPOINT_URL_SECRETS_MANAGER", moto.endpoint(), "POWERTOOLS_SERVICE_NAME", "tidemark"));
            try (var sm = new dev.tidemark.config.AwsClients(env).secretsManager()) {
                secrets.forEach((name, value) -> sm.createSecret(b -> b.name(name).secretString(value)));
            }
            env.put("TIDEMARK_TARGETS", "[{\"name\":\"app-db\",\"store\":\"postgres\",\"secretId\":\"pg\",\"location\":\"filesystem:"
                + plans.resolve("postgres") + "\"},{\"name\":\"app-docs\",\"store\":\"mongodb\",\"secretId\":\"mongo\",\"location\":\"filesystem:"
                + plans.resolve("mongodb") + "\"},{\"name\":\"search\",\"store\":\"elasticsearch\",\"secretId\":\"es\",\"location\":\"filesystem:"
                + plans.resolve("elasticsearch") + "\"}]");
            ErasureHandler handler = new ErasureHandler(env);

            // PostgreSQL
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("bench"), "postgres", "x")) {
                c.createStatement().execute("CREATE TABLE events (id bigserial PRIMARY KEY, user_id bigint NOT NULL, payload text NOT NULL);"
                    + "INSERT INTO events (user_id, payload) SELECT g % " + subjects + ", md5(g::text) FROM generate_series(1, " + rows + ") g;"
                    + "CREATE INDEX events_user_id_idx ON events (user_id); ANALYZE events");
                long[] tidemark = new long[requests];
                long[] bare = new long[requests];
                for (int i = 0; i < requests; i++) {
                    long t0 = System.nanoTime();
                    erase(handler, "app-db", Integer.toString(2 * i), per);
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
                    erase(handler, "app-docs", Integer.toString(2 * i), per);
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
                    erase(handler, "search", Integer.toString(2 * i), per);
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
