package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The erasure API on the local stack after the example rollout: requests signed with SigV4, accepted once per request
 * id, erased on every target by the erasure state machine in the background, answered with their status and receipt.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class ErasureEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalRollout local;
    private static ApiClient api;

    @BeforeAll
    static void migratedStackWithThreeUsers() throws Exception {
        Path repo = LocalRollout.findRepo(Path.of(""));
        // batches of 2 and no time per call: every erasure below takes several calls of the erasure function
        local = LocalRollout.start(repo, null, repo.resolve("examples"), Map.of("TIDEMARK_ERASURE_BATCH_SIZE", "2",
            "TIDEMARK_ERASURE_MAX_SECONDS_PER_CALL", "0"), new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8));
        assertThat(local.rollout(repo.resolve("events/rollout.json"), 100, new PrintStream(new ByteArrayOutputStream())).succeeded()).isTrue();
        local.backgroundRetryInterval(100);
        assertThat(ExampleSeed.load(local.stack(), repo.resolve("examples/seed"))).as("the example data loads once").isTrue();
        assertThat(ExampleSeed.load(local.stack(), repo.resolve("examples/seed"))).isFalse();
        api = new ApiClient(local.apiUrl(), dev.tidemark.servers.S3Server.ACCESS_KEY, dev.tidemark.servers.S3Server.SECRET_KEY);
        try (Connection c = connect(); var st = c.createStatement()) {
            st.execute("INSERT INTO users (id, email, display_name) OVERRIDING SYSTEM VALUE SELECT g, 'e' || g || '@example.com', 'E' || g "
                + "FROM generate_series(7001, 7007) g; INSERT INTO conversations (user_id, title) SELECT g, 't' FROM generate_series(7001, 7007) g;"
                + "INSERT INTO messages (conversation_id, role, content) SELECT id, 'user', 'hi' FROM conversations WHERE user_id BETWEEN 7001 AND 7007;"
                + "INSERT INTO messages (conversation_id, role, content) SELECT id, 'assistant', 'more' FROM conversations, generate_series(1, 4) "
                + "WHERE user_id = 7002");
        }
        try (var client = com.mongodb.client.MongoClients.create(local.stack().mongo().uri())) {
            for (long u = 7001; u <= 7007; u++) {
                client.getDatabase(LocalStack.DATABASE).getCollection("consent").insertOne(new Document("user_id", u).append("purpose", "x")
                    .append("granted", true));
            }
        }
    }

    @AfterAll
    static void stopStack() {
        if (local != null) {
            local.close();
        }
    }

    private static Connection connect() throws Exception {
        return DriverManager.getConnection(local.stack().postgres().jdbcUrl(LocalStack.DATABASE), "postgres", local.stack().postgresPassword());
    }

    private static String body(String requestId, String id, boolean dryRun) {
        return "{\"requestId\":\"" + requestId + "\",\"subject\":{\"type\":\"user\",\"id\":\"" + id + "\"},\"reason\":\"consent-withdrawn\","
            + "\"dryRun\":" + dryRun + "}";
    }

    /** Polls {@code GET /erasures/{id}} until the request has ended. */
    private static JsonNode ended(String requestId) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (true) {
            ApiClient.Answer a = api.send("GET", "/erasures/" + requestId, null);
            assertThat(a.status()).as(a.body()).isEqualTo(200);
            JsonNode n = JSON.readTree(a.body());
            String status = n.path("status").asText();
            assertThat(status).isIn("ACCEPTED", "IN_PROGRESS", "COMPLETED", "FAILED");
            if (status.equals("COMPLETED") || status.equals("FAILED") || System.nanoTime() > deadline) {
                return n;
            }
            Thread.sleep(100);
        }
    }

    private static long users(String where) throws Exception {
        try (Connection c = connect(); ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM users WHERE " + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Every object of the request and receipt buckets, and a checksum of every other user's rows: what a refusal must leave alone. */
    private static Map<String, String> state() throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (var s3 = local.stack().s3Client()) {
            for (String bucket : List.of(LocalStack.REQUEST_BUCKET, LocalStack.RECEIPT_BUCKET)) {
                for (var o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
                    if (!o.key().endsWith("/")) {
                        out.put(bucket + "/" + o.key(), s3.getObjectAsBytes(b -> b.bucket(bucket).key(o.key())).asUtf8String());
                    }
                }
            }
        }
        try (Connection c = connect(); ResultSet rs = c.createStatement().executeQuery(
            "SELECT md5(string_agg(u::text || coalesce(m::text, ''), ',' ORDER BY u.id, m.id)) FROM users u LEFT JOIN conversations c ON c.user_id = u.id "
                + "LEFT JOIN messages m ON m.conversation_id = c.id")) {
            rs.next();
            out.put("postgres", rs.getString(1));
        }
        return out;
    }

    private static String everything() throws Exception {
        return String.join("\n", state().values());
    }

    @Test
    void aDryRunCountsAndChangesNothingThenTheErasureCompletesWithAReceiptAndNoSubjectIdAnywhere() throws Exception {
        ApiClient.Answer dry = api.send("POST", "/erasures", body("e2e-dry", "7002", true));
        assertThat(dry.status()).as(dry.body()).isEqualTo(202);
        assertThat(JSON.readTree(dry.body()).path("statusUrl").asText()).isEqualTo("/erasures/e2e-dry");
        JsonNode counted = ended("e2e-dry");
        assertThat(counted.path("status").asText()).as(counted.toString()).isEqualTo("COMPLETED");
        assertThat(counted.path("targets")).hasSize(3).allSatisfy(t -> assertThat(t.path("status").asText()).isEqualTo("COUNTED"));
        assertThat(counted.path("targets").get(0).path("items")).anySatisfy(i -> assertThat(i.path("remaining").asLong()).isPositive());
        assertThat(counted.has("receipt")).as("a dry run gets no receipt").isFalse();
        assertThat(users("id = 7002")).as("a dry run changes nothing").isEqualTo(1);

        ApiClient.Answer accepted = api.send("POST", "/erasures", body("e2e-first", "7002", false));
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        JsonNode done = ended("e2e-first");
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
        assertThat(done.path("attempts").asInt()).isEqualTo(1);
        assertThat(done.path("targets")).hasSize(3).allSatisfy(t -> {
            assertThat(t.path("status").asText()).isEqualTo("ERASED");
            assertThat(t.path("items")).allSatisfy(i -> assertThat(i.path("remaining").asLong()).isZero());
        });
        assertThat(done.path("targets").get(0).path("items").get(0).path("erased").asLong())
            .as("five messages in batches of two: the counts are summed over the calls").isEqualTo(5);
        assertThat(done.path("receipt").path("targets").get(0).path("items").get(0).path("erased").asLong()).isEqualTo(5);
        assertThat(users("id = 7002")).isZero();
        assertThat(users("id IN (7001, 7004)")).as("the other users stay (7003 is the next test's)").isEqualTo(2);
        try (var client = com.mongodb.client.MongoClients.create(local.stack().mongo().uri())) {
            var consent = client.getDatabase(LocalStack.DATABASE).getCollection("consent");
            assertThat(consent.countDocuments(new Document("user_id", 7002L))).isZero();
            assertThat(consent.countDocuments(new Document("user_id", 7001L))).isEqualTo(1);
        }
        JsonNode receipt = done.path("receipt");
        assertThat(receipt.path("requestId").asText()).isEqualTo("e2e-first");
        assertThat(receipt.path("subjectHash").asText()).startsWith("hmac-sha256:");
        assertThat(receipt.path("reason").asText()).isEqualTo("consent-withdrawn");
        assertThat(receipt.path("requestedBy").asText()).isEqualTo(ApiEndpoint.CALLER_ARN);
        assertThat(receipt.path("targets")).hasSize(3).allSatisfy(t -> assertThat(t.path("plan").asText()).hasSize(64));

        assertThat(done.toString()).doesNotContain("7002").doesNotContain("e7002@example.com");
        try (var s3 = local.stack().s3Client()) {
            assertThat(s3.listObjectsV2(b -> b.bucket(LocalStack.REQUEST_BUCKET).prefix("subjects/e2e-first")).contents())
                .as("the subject id is forgotten once the receipt is written").isEmpty();
        }
        String stored = state().entrySet().stream().filter(e -> e.getKey().contains("e2e-first")).map(Map.Entry::getValue).reduce("", String::concat);
        assertThat(stored).as("the stored request and receipt").contains("hmac-sha256:").doesNotContain("7002").doesNotContain("@example.com");
    }

    @Test
    void everyOperationLeavesAnAuditEventNamingWhoWhatWhenAndTheResultAndNoSubjectIdAnywhere() throws Exception {
        assertThat(api.send("POST", "/erasures", body("e2e-audit", "7005", false)).status()).isEqualTo(202);
        assertThat(ended("e2e-audit").path("status").asText()).isEqualTo("COMPLETED");
        List<JsonNode> events = new java.util.ArrayList<>();
        StringBuilder all = new StringBuilder();
        try (var s3 = local.stack().s3Client()) {
            for (var o : s3.listObjectsV2Paginator(b -> b.bucket(LocalStack.RECEIPT_BUCKET)).contents()) {
                if (o.key().endsWith(".json")) {
                    String text = s3.getObjectAsBytes(b -> b.bucket(LocalStack.RECEIPT_BUCKET).key(o.key())).asUtf8String();
                    all.append(text).append('\n');
                    if (o.key().startsWith("audit/")) {
                        assertThat(o.key()).matches("audit/\\d{4}/\\d{2}/\\d{2}/\\d{8}T\\d{6}\\.\\d{3}Z-[a-z-]+-[0-9a-f-]{36}\\.json");
                        events.add(JSON.readTree(text));
                    }
                }
            }
        }
        String execution = "execution arn:aws:states:us-east-1:123456789012:execution:ErasureStateMachine:e2e-audit_a1";
        assertThat(events).filteredOn(e -> e.path("operation").asText().equals("erasure-request") && e.path("targets").size() == 3)
            .anySatisfy(e -> assertThat(e.path("actor").asText()).isEqualTo("iam " + ApiEndpoint.CALLER_ARN));
        assertThat(events).filteredOn(e -> e.path("actor").asText().equals(execution)).extracting(e -> e.path("operation").asText() + " "
            + e.path("targets").path(0).asText() + " " + e.path("result").asText())
            .containsExactlyInAnyOrder("erasure app-db SUCCEEDED", "erasure app-docs SUCCEEDED", "erasure search SUCCEEDED",
                "erasure-exports  SUCCEEDED", "erasure-receipt  SUCCEEDED");
        assertThat(events).filteredOn(e -> e.path("actor").asText().equals(execution) && e.path("targets").path(0).asText().equals("app-db"))
            .singleElement().satisfies(e -> assertThat(e.path("counts").path("erased").asLong()).isPositive());
        assertThat(events).as("the rollout's upgrades, by its execution").anySatisfy(e -> {
            assertThat(e.path("operation").asText()).isEqualTo("upgrade");
            assertThat(e.path("actor").asText()).startsWith("execution arn:aws:states:us-east-1:123456789012:execution:");
        });
        assertThat(events).filteredOn(e -> e.path("operation").asText().equals("erasure") && e.path("result").asText().equals("FAILED"))
            .allSatisfy(e -> assertThat(e.path("errorCode").asText()).isNotBlank());
        for (String id : List.of("7001", "7002", "7003", "7004", "7005", "e7005")) {
            assertThat(all.toString()).as("receipts and audit events hold no subject id: " + id).doesNotContain("\"" + id + "\"")
                .doesNotContain(":" + id + ",").doesNotContain("@example.com");
        }
    }

    private static void export(String target, String source, String destination, String format) throws Exception {
        Path input = Files.createTempFile("export", ".json");
        Files.writeString(input, "{\"target\": \"" + target + "\", \"source\": " + source + ", \"destination\": \"s3://"
            + LocalStack.BULK_BUCKET + "/" + destination + "\", \"format\": \"" + format + "\", \"compression\": \"gzip\"}");
        StateMachineRunner.Execution e = local.execute("BulkExportStateMachine", input, 100, new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8));
        Files.delete(input);
        assertThat(e.succeeded()).as(String.join("\n", e.transcript())).isTrue();
    }

    private static String exported(String prefix) throws Exception {
        StringBuilder out = new StringBuilder();
        try (var s3 = local.stack().s3Client()) {
            for (var o : s3.listObjectsV2Paginator(b -> b.bucket(LocalStack.BULK_BUCKET).prefix(prefix)).contents()) {
                if (o.key().contains("part-")) {
                    byte[] gz = s3.getObjectAsBytes(b -> b.bucket(LocalStack.BULK_BUCKET).key(o.key())).asByteArray();
                    out.append(new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz)).readAllBytes(),
                        StandardCharsets.UTF_8));
                }
            }
        }
        return out.toString();
    }

    private static JsonNode manifest(String prefix) throws Exception {
        try (var s3 = local.stack().s3Client()) {
            return JSON.readTree(s3.getObjectAsBytes(b -> b.bucket(LocalStack.BULK_BUCKET).key(prefix + "manifest.json")).asByteArray());
        }
    }

    @Test
    void theBulkExportsHoldingTheSubjectAreListedAndRewrittenWithoutItsRecordsWhenAsked() throws Exception {
        export("app-db", "{\"table\": \"users\"}", "e2e/users-csv/", "csv");
        export("app-db", "{\"table\": \"users\"}", "e2e/users-ndjson/", "ndjson");
        export("app-docs", "{\"collection\": \"consent\"}", "e2e/consent/", "ndjson");
        export("app-db", "{\"query\": \"SELECT id FROM users\"}", "e2e/query/", "csv");
        long usersBefore = manifest("e2e/users-csv/").path("totalRows").asLong();
        assertThat(exported("e2e/users-csv/")).contains("e7006@example.com").contains("e7001@example.com");

        String body = "{\"requestId\":\"e2e-exports\",\"subject\":{\"type\":\"user\",\"id\":\"7006\"},\"reason\":\"objection\","
            + "\"rewriteExports\":true}";
        assertThat(api.send("POST", "/erasures", body).status()).isEqualTo(202);
        JsonNode done = ended("e2e-exports");
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
        Map<String, String> statuses = new TreeMap<>();
        done.path("exports").forEach(e -> statuses.put(e.path("location").asText().replace("s3://" + LocalStack.BULK_BUCKET + "/", ""),
            e.path("status").asText() + " " + e.path("records").asLong()));
        assertThat(statuses).containsEntry("e2e/users-csv/", "REWRITTEN 1").containsEntry("e2e/users-ndjson/", "REWRITTEN 1")
            .containsEntry("e2e/consent/", "REWRITTEN 1").containsEntry("e2e/query/", "NOT_CHECKED 0");
        assertThat(done.path("receipt").path("exports")).as("the receipt says what was done").hasSize(done.path("exports").size());

        assertThat(exported("e2e/users-csv/")).doesNotContain("e7006@example.com").contains("e7001@example.com");
        assertThat(exported("e2e/users-ndjson/")).doesNotContain("e7006@example.com").contains("e7001@example.com");
        assertThat(exported("e2e/consent/")).doesNotContain("\"7006\"").contains("\"7001\"");
        assertThat(manifest("e2e/users-csv/").path("totalRows").asLong()).isEqualTo(usersBefore - 1);
        try (var s3 = local.stack().s3Client()) {
            assertThat(s3.listObjectsV2(b -> b.bucket(LocalStack.BULK_BUCKET).prefix("e2e/")).contents())
                .as("no staging left behind").noneMatch(o -> o.key().contains("_rewrite/"));
        }
        // every part matches the new manifest as an import checks it: size, SHA-256, records
        for (String prefix : List.of("e2e/users-csv/", "e2e/users-ndjson/", "e2e/consent/")) {
            JsonNode m = manifest(prefix);
            long total = 0;
            try (var s3 = local.stack().s3Client()) {
                for (JsonNode part : m.path("parts")) {
                    byte[] stored = s3.getObjectAsBytes(b -> b.bucket(LocalStack.BULK_BUCKET).key(prefix + part.path("file").asText())).asByteArray();
                    assertThat((long) stored.length).isEqualTo(part.path("bytes").asLong());
                    assertThat(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(stored)))
                        .isEqualTo(part.path("sha256").asText());
                    String text = new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(stored)).readAllBytes(),
                        StandardCharsets.UTF_8);
                    long lines = text.lines().count() - (prefix.contains("csv") ? 1 : 0);
                    assertThat(lines).isEqualTo(part.path("rows").asLong());
                    total += lines;
                }
            }
            assertThat(m.path("totalRows").asLong()).isEqualTo(total);
        }
        assertThat(users("id = 7006")).isZero();
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // last: the restarted MongoDB server is empty
    void aStoreDownMidRequestKeepsTheRequestInProgressAndTheRetryCompletesItOnceItIsBack() throws Exception {
        local.backgroundRetryInterval(1000); // five retries a second apart, each after a 5 s server selection timeout
        try {
            local.stack().stopMongo();
            assertThat(api.send("POST", "/erasures", body("e2e-outage", "7007", false)).status()).isEqualTo(202);
            for (int i = 0; i < 10; i++) {
                Thread.sleep(300);
                JsonNode s = JSON.readTree(api.send("GET", "/erasures/e2e-outage", null).body());
                assertThat(s.path("status").asText()).as("MongoDB is down: retried, never COMPLETED with a store missing").isEqualTo("IN_PROGRESS");
            }
            var mongo = local.stack().restartMongo();
            try (var client = com.mongodb.client.MongoClients.create(mongo.uri())) {
                var db = client.getDatabase(LocalStack.DATABASE);
                for (String c : List.of("geo_events", "user_profiles", "consent")) {
                    db.createCollection(c);
                }
                db.getCollection("consent").insertOne(new Document("user_id", 7007L).append("purpose", "x").append("granted", true));
            }
            JsonNode done = ended("e2e-outage");
            assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
            assertThat(users("id = 7007")).isZero();
            try (var client = com.mongodb.client.MongoClients.create(mongo.uri())) {
                assertThat(client.getDatabase(LocalStack.DATABASE).getCollection("consent").countDocuments(new Document("user_id", 7007L))).isZero();
            }
            assertThat(done.path("receipt").path("targets")).hasSize(3);
        } finally {
            local.backgroundRetryInterval(100);
        }
    }

    @Test
    void theSameRequestAgainAnswersTheSameReceiptAndErasesNothingAndAnotherBodyIsAConflict() throws Exception {
        assertThat(api.send("POST", "/erasures", body("e2e-again", "7003", false)).status()).isEqualTo(202);
        JsonNode done = ended("e2e-again");
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
        Map<String, String> before = state();

        ApiClient.Answer again = api.send("POST", "/erasures", body("e2e-again", "7003", false));
        assertThat(again.status()).as("an ended request answers 200 with its status").isEqualTo(200);
        assertThat(JSON.readTree(again.body()).path("status").asText()).isEqualTo("COMPLETED");
        JsonNode status = ended("e2e-again");
        assertThat(status.path("attempts").asInt()).as("no second execution").isEqualTo(1);
        assertThat(status.path("receipt")).isEqualTo(done.path("receipt"));

        ApiClient.Answer conflict = api.send("POST", "/erasures", body("e2e-again", "7004", false));
        assertThat(conflict.status()).as(conflict.body()).isEqualTo(409);
        assertThat(JSON.readTree(conflict.body()).path("message").asText()).startsWith("requestId: ").doesNotContain("7004");
        assertThat(JSON.readTree(conflict.body()).path("code").asText()).isEqualTo("REQUEST_CONFLICT");
        assertThat(state()).as("neither the replay nor the conflict changed anything").isEqualTo(before);
        assertThat(users("id = 7004")).isEqualTo(1);
    }

    @Test
    void unsignedWronglySignedAndMalformedRequestsAreRefusedAndChangeNothing() throws Exception {
        Map<String, String> before = state();
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> unsigned = http.send(HttpRequest.newBuilder(URI.create(local.apiUrl() + "/erasures"))
            .POST(HttpRequest.BodyPublishers.ofString(body("e2e-unsigned", "7004", false))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unsigned.statusCode()).isEqualTo(403);
        assertThat(unsigned.body()).contains("Missing Authentication Token");
        ApiClient wrongSecret = new ApiClient(local.apiUrl(), dev.tidemark.servers.S3Server.ACCESS_KEY, "not-the-secret");
        ApiClient.Answer forged = wrongSecret.send("POST", "/erasures", body("e2e-forged", "7004", false));
        assertThat(forged.status()).isEqualTo(403);
        assertThat(forged.body()).contains("signature we calculated does not match");
        ApiClient otherKey = new ApiClient(local.apiUrl(), "AKIAOTHER", dev.tidemark.servers.S3Server.SECRET_KEY);
        assertThat(otherKey.send("GET", "/erasures/e2e-forged", null).status()).isEqualTo(403);

        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("{\"reason\":\"objection\"}", "subject: ");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"" + "7".repeat(5000) + "\"},\"reason\":\"objection\"}", "body: larger than");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":{\"$gt\":0}},\"reason\":\"objection\"}", "subject.id: ");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"7*\"},\"reason\":\"objection\"}", "subject.id: operators and wildcards");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"7004\"},\"reason\":\"objection\",\"dryRun\":\"no\"}", "dryRun: ");
        bad.put("{\"requestId\":\"../../x\",\"subject\":{\"type\":\"user\",\"id\":\"7004\"},\"reason\":\"objection\"}", "requestId: ");
        bad.put("not json", "body: ");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"7004\"},\"reason\":\"objection\",\"subject\":{\"type\":\"user\",\"id\":\"7001\"}}",
            "body: ");
        for (var b : bad.entrySet()) {
            ApiClient.Answer a = api.send("POST", "/erasures", b.getKey());
            assertThat(a.status()).as(b.getValue()).isEqualTo(400);
            assertThat(JSON.readTree(a.body()).path("message").asText()).as(a.body()).startsWith(b.getValue()).doesNotContain("7004");
        }
        ApiClient.Answer huge = api.send("POST", "/erasures", "{\"subject\":{\"type\":\"user\",\"id\":\"" + "7".repeat(10 << 20)
            + "\"},\"reason\":\"objection\"}");
        assertThat(huge.status()).as("an id of 10 MB").isEqualTo(413);
        ApiClient.Answer unknown = api.send("GET", "/erasures/no-such-request", null);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).path("message").asText()).startsWith("requestId: ");
        assertThat(api.send("GET", "/erasures/bad%20id", null).status()).isEqualTo(400);
        assertThat(api.send("DELETE", "/erasures/e2e-first", null).status()).as("no such route").isEqualTo(403);
        assertThat(state()).isEqualTo(before);
        assertThat(users("id = 7004")).isEqualTo(1);
    }

    @Test
    void aRequestThatFailsOnEveryTargetIsFailedWithTheTargetsNotDoneAndTheSameBodyTriesAgain() throws Exception {
        String customer = "{\"requestId\":\"e2e-customer\",\"subject\":{\"type\":\"customer\",\"id\":\"7004\"},\"reason\":\"objection\"}";
        assertThat(api.send("POST", "/erasures", customer).status()).isEqualTo(202);
        JsonNode failed = ended("e2e-customer");
        assertThat(failed.path("status").asText()).as(failed.toString()).isEqualTo("FAILED");
        assertThat(failed.path("targets")).extracting(t -> t.path("target").asText() + " " + t.path("status").asText() + " " + t.path("error").asText())
            .containsExactlyInAnyOrder("app-db FAILED dev.tidemark.error.ValidationException", "app-docs FAILED dev.tidemark.error.ValidationException",
                "search FAILED dev.tidemark.error.ValidationException");
        assertThat(failed.has("receipt")).isFalse();
        assertThat(users("id = 7004")).isEqualTo(1);

        ApiClient.Answer retried = api.send("POST", "/erasures", customer);
        assertThat(retried.status()).as("a failed request is started again by the same body").isEqualTo(202);
        JsonNode second = ended("e2e-customer");
        assertThat(second.path("attempts").asInt()).isEqualTo(2);
        assertThat(second.path("status").asText()).isEqualTo("FAILED");
    }

    @Test
    void curlWithAwsSigv4SubmitsAndQueriesARequestAsTheReadmeShowsOnTheExampleData() throws Exception {
        String user = dev.tidemark.servers.S3Server.ACCESS_KEY + ":" + dev.tidemark.servers.S3Server.SECRET_KEY;
        String posted = curl("-H", "Content-Type: application/json", "-d", body("e2e-curl", "2", true), local.apiUrl() + "/erasures");
        assertThat(posted).contains("\"requestId\":\"e2e-curl\"").endsWith(" 202");
        JsonNode done = ended("e2e-curl");
        assertThat(done.path("status").asText()).isEqualTo("COMPLETED");
        assertThat(done.path("targets")).as("example user 2 lives in every store").hasSize(3).allSatisfy(t -> {
            long found = 0;
            for (JsonNode i : t.path("items")) {
                found += i.path("remaining").asLong();
            }
            assertThat(found).as(t.toString()).isPositive();
        });
        String status = curl(local.apiUrl() + "/erasures/e2e-curl");
        assertThat(status).contains("\"status\":\"COMPLETED\"").endsWith(" 200");
        assertThat(curl("--user", "x:y", local.apiUrl() + "/erasures/e2e-curl")).endsWith(" 403");
        assertThat(user).isNotBlank();
    }

    private static String curl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("curl", "-s", "-w", " %{http_code}", "--aws-sigv4", "aws:amz:us-east-1:execute-api"));
        if (!List.of(args).contains("--user")) {
            command.addAll(List.of("--user", dev.tidemark.servers.S3Server.ACCESS_KEY + ":" + dev.tidemark.servers.S3Server.SECRET_KEY));
        }
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out.strip();
    }
}
