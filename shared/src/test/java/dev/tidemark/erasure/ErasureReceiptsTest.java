package dev.tidemark.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.servers.S3Server;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(ServersExtension.class)
class ErasureReceiptsTest {

    private static final String BUCKET = "tidemark-receipts";
    private static final String PLAN = "a".repeat(64);

    private static final byte[] KEY = "receipt-key-of-at-least-thirty-two-bytes".getBytes();

    private S3Client s3;
    private ErasureReceipts receipts;
    private ErasureRequests requests;
    private String requestId;

    @BeforeEach
    void bucket(S3Server server) {
        s3 = TestServers.s3Client(server, BUCKET);
        receipts = new ErasureReceipts(() -> s3, BUCKET, () -> KEY);
        requests = new ErasureRequests(() -> s3, BUCKET, () -> KEY);
        requestId = TestServers.unique("req");
    }

    /** The request the API would have accepted for this subject. */
    private void accepted(String subject, boolean dryRun) {
        requests.accept(new ErasureRequests.Submission(requestId, "user", subject, "consent-withdrawn", dryRun, false), java.util.List.of("app-db"),
            "arn:aws:iam::123456789012:role/privacy-team");
    }

    private ObjectNode event() {
        return (ObjectNode) Json.MAPPER.valueToTree(Map.of("requestId", requestId,
            "startedAt", "2026-12-03T10:00:00Z", "status", "COMPLETED", "targets", java.util.List.of(Map.of("target", "app-db", "failed", false,
                "result", Map.of("store", "postgres", "target", "app-db", "dryRun", false, "plan", PLAN, "durationMs", 12, "items",
                    java.util.List.of(Map.of("name", "public.users", "action", "delete", "matched", 1, "erased", 1, "anonymised", 0, "remaining", 0,
                        "durationMs", 3)))))));
    }

    private String stored() {
        return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("receipts/" + requestId + ".json")).asUtf8String();
    }

    @Test
    void aReceiptIsWrittenOnceWithAKeyedHashAndNeverTheSubjectId() throws Exception {
        accepted("alice@example.com", false);
        ErasureReceipts.Written first = receipts.write(event(), requests);
        assertThat(first.written()).isTrue();
        assertThat(first.location()).isEqualTo("s3://" + BUCKET + "/receipts/" + requestId + ".json");
        String text = stored();
        assertThat(text).doesNotContain("alice").contains(receipts.subjectHash("alice@example.com")).contains(PLAN).contains("\"erased\":1");
        JsonNode r = Json.MAPPER.readTree(text);
        assertThat(r.path("status").asText()).isEqualTo("COMPLETED");
        assertThat(r.path("subjectHash").asText()).startsWith("hmac-sha256:").hasSize(12 + 64);
        assertThat(r.path("reason").asText()).isEqualTo("consent-withdrawn");
        assertThat(r.path("requestedBy").asText()).isEqualTo("arn:aws:iam::123456789012:role/privacy-team");
        assertThat(r.path("tidemarkVersion").asText()).isNotBlank();

        ErasureReceipts.Written again = receipts.write(event(), requests);
        assertThat(again.written()).as("the same request gets the receipt it has").isFalse();
        assertThat(stored()).isEqualTo(text);
        assertThat(receipts.find(requestId)).hasValueSatisfying(found -> assertThat(found.toString()).isEqualTo(text));
    }

    @Test
    void aRequestThatWasNeverAcceptedOrIsADryRunGetsNoReceipt() {
        assertThatThrownBy(() -> receipts.write(event(), requests)).isInstanceOf(ValidationException.class)
            .hasMessageStartingWith("requestId: no erasure request");
        accepted("dave", true);
        assertThatThrownBy(() -> receipts.write(event(), requests)).isInstanceOf(ValidationException.class)
            .hasMessageContaining("is a dry run");
        assertThat(s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("receipts/" + requestId)).contents()).isEmpty();
    }

    @Test
    void theStoreRefusesASecondConditionalWrite() {
        accepted("carol", false);
        receipts.write(event(), requests);
        String text = stored();
        assertThatThrownBy(() -> s3.putObject(b -> b.bucket(BUCKET).key("receipts/" + requestId + ".json").ifNoneMatch("*"),
            RequestBody.fromString("{}"))).isInstanceOf(S3Exception.class).satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(412));
        assertThat(stored()).isEqualTo(text);
    }

    @Test
    void forgedOrIncompleteSummariesAreRefusedAndNothingIsWritten() {
        Map<String, java.util.function.Consumer<ObjectNode>> forged = new java.util.LinkedHashMap<>();
        forged.put("status: ", e -> e.put("status", "FAILED"));
        forged.put("targets[0].failed: ", e -> ((ObjectNode) e.path("targets").get(0)).put("failed", true));
        forged.put("targets[0].result.dryRun: ", e -> ((ObjectNode) e.path("targets").get(0).path("result")).put("dryRun", true));
        forged.put("targets[0].result.rows: unknown field", e -> ((ObjectNode) e.path("targets").get(0).path("result")).putArray("rows").add("alice"));
        forged.put("targets[0].result.items[0].email: unknown field", e -> ((ObjectNode) e.path("targets").get(0).path("result").path("items").get(0))
            .put("email", "alice@example.com"));
        forged.put("targets[0].result.items[0].erased: ", e -> ((ObjectNode) e.path("targets").get(0).path("result").path("items").get(0))
            .put("erased", -1));
        forged.put("targets[0].result.plan: ", e -> ((ObjectNode) e.path("targets").get(0).path("result")).put("plan", "v1"));
        forged.put("requestId: ", e -> e.put("requestId", "../escape"));
        forged.put("startedAt: ", e -> e.put("startedAt", "yesterday"));
        forged.put("subject: unknown field", e -> e.putObject("subject").put("id", "alice"));
        accepted("alice", false);
        for (var f : forged.entrySet()) {
            ObjectNode e = event();
            f.getValue().accept(e);
            assertThatThrownBy(() -> receipts.write(e, requests)).as(f.getKey()).isInstanceOf(ValidationException.class).hasMessageStartingWith(f.getKey());
        }
        assertThat(s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("receipts/" + requestId)).contents()).isEmpty();
    }
}
