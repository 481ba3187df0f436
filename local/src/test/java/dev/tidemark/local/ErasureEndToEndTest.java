package dev.tidemark.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The erasure state machine on the local stack after the example rollout: every target in parallel, one receipt-ready output. */
class ErasureEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path repo;
    private static LocalRollout local;

    @TempDir
    static Path temp;

    @BeforeAll
    static void migratedStackWithThreeUsers() throws Exception {
        repo = LocalRollout.findRepo(Path.of(""));
        local = LocalRollout.start(repo, null, repo.resolve("examples"), Map.of(), new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8));
        assertThat(local.rollout(repo.resolve("events/rollout.json"), 100, new PrintStream(new ByteArrayOutputStream())).succeeded()).isTrue();
        try (Connection c = connect(); var st = c.createStatement()) {
            st.execute("INSERT INTO users (id, email, display_name) OVERRIDING SYSTEM VALUE SELECT g, 'e' || g || '@example.com', 'E' || g "
                + "FROM generate_series(7001, 7003) g; INSERT INTO conversations (user_id, title) SELECT g, 't' FROM generate_series(7001, 7003) g;"
                + "INSERT INTO messages (conversation_id, role, content) SELECT id, 'user', 'hi' FROM conversations WHERE user_id BETWEEN 7001 AND 7003");
        }
        try (var client = com.mongodb.client.MongoClients.create(local.stack().mongo().uri())) {
            for (long u = 7001; u <= 7003; u++) {
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

    private static JsonNode run(Map<String, Object> overrides) throws Exception {
        ObjectNode event = (ObjectNode) JSON.readTree(repo.resolve("events/erasure.json").toFile());
        overrides.forEach((k, v) -> event.set(k, JSON.valueToTree(v)));
        Path input = Files.createTempFile(temp, "event", ".json");
        Files.writeString(input, event.toString());
        StateMachineRunner.Execution execution = local.execute("ErasureStateMachine", input, 100, new PrintStream(new ByteArrayOutputStream(),
            true, StandardCharsets.UTF_8));
        assertThat(execution.succeeded()).as(String.join("\n", execution.transcript())).isTrue();
        return execution.report().path("output");
    }

    private static long users(String where) throws Exception {
        try (Connection c = connect(); ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM users WHERE " + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aDryRunCountsOnEveryTargetThenTheErasureCompletesAndTheOutputHoldsNoSubject() throws Exception {
        JsonNode dry = run(Map.of("requestId", "e2e-first", "subject", Map.of("id", "7002")));
        assertThat(dry.path("status").asText()).as(dry.toString()).isEqualTo("COMPLETED");
        assertThat(users("id = 7002")).as("a dry run changes nothing").isEqualTo(1);

        assertThat(dry.has("receipt")).as("a dry run gets no receipt").isFalse();
        JsonNode done = run(Map.of("requestId", "e2e-first", "subject", Map.of("id", "7002"), "dryRun", false));
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
        assertThat(done.has("subject")).as("the output drops the subject").isFalse();
        assertThat(done.toString()).doesNotContain("7002");
        assertThat(done.path("targets")).hasSize(3);
        for (JsonNode t : done.path("targets")) {
            assertThat(t.path("failed").asBoolean()).isFalse();
            assertThat(t.path("coverage").isArray()).as("every target reports its plan's coverage findings").isTrue();
            assertThat(t.path("result").path("items")).allSatisfy(i -> assertThat(i.path("remaining").asLong()).isZero());
        }
        assertThat(done.path("targets").get(0).path("result").path("items").get(0).path("erased").asLong()).as("the user's message").isEqualTo(1);
        assertThat(done.path("targets").get(0).path("coverage")).as("the example plan covers the example schema").isEmpty();
        assertThat(users("id = 7002")).isZero();
        assertThat(users("id = 7001")).as("another user stays").isEqualTo(1);
        assertThat(done.path("receipt").path("written").asBoolean()).as(done.toString()).isTrue();
        assertThat(done.path("receipt").path("location").asText()).isEqualTo("s3://" + LocalStack.RECEIPT_BUCKET + "/receipts/e2e-first.json");
        String receipt;
        try (var s3 = local.stack().s3Client()) {
            receipt = s3.getObjectAsBytes(b -> b.bucket(LocalStack.RECEIPT_BUCKET).key("receipts/e2e-first.json")).asUtf8String();
        }
        JsonNode r = JSON.readTree(receipt);
        assertThat(r.path("status").asText()).isEqualTo("COMPLETED");
        assertThat(r.path("subjectHash").asText()).startsWith("hmac-sha256:");
        assertThat(r.path("targets")).hasSize(3).allSatisfy(t -> assertThat(t.path("plan").asText()).hasSize(64));
        assertThat(receipt).as("no subject id, no e-mail in the receipt").doesNotContain("7002").doesNotContain("@example.com");

        JsonNode again = run(Map.of("requestId", "e2e-first", "subject", Map.of("id", "7002"), "dryRun", false));
        assertThat(again.path("status").asText()).isEqualTo("COMPLETED");
        assertThat(again.path("receipt").path("written").asBoolean()).as("the receipt is written once").isFalse();
        assertThat(again.path("targets").get(0).path("result").path("items")).allSatisfy(i -> assertThat(i.path("erased").asLong()).isZero());
        try (var client = com.mongodb.client.MongoClients.create(local.stack().mongo().uri())) {
            assertThat(client.getDatabase(LocalStack.DATABASE).getCollection("consent").countDocuments(new Document("user_id", 7002L))).isZero();
            assertThat(client.getDatabase(LocalStack.DATABASE).getCollection("consent").countDocuments(new Document("user_id", 7001L))).isEqualTo(1);
        }
    }

    @Test
    void aTargetThatFailsForGoodIsListedAndTheOthersStillErase() throws Exception {
        JsonNode out = run(Map.of("requestId", "e2e-second", "subject", Map.of("id", "7003"), "dryRun", false, "targets",
            List.of("app-db", "no-such-target")));
        assertThat(out.path("status").asText()).as(out.toString()).isEqualTo("FAILED");
        assertThat(out.path("targets")).extracting(t -> t.path("target").asText() + " " + t.path("failed").asBoolean() + " " + t.path("error").asText(""))
            .containsExactly("app-db false ", "no-such-target true dev.tidemark.error.ValidationException");
        assertThat(users("id = 7003")).as("the reachable target was erased").isZero();
        assertThat(out.toString()).doesNotContain("7003");
        assertThat(out.has("receipt")).as("a failed request gets no receipt: a later run can still complete it").isFalse();
    }
}
