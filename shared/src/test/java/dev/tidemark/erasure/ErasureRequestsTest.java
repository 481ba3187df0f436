package dev.tidemark.erasure;

import dev.tidemark.error.RequestConflictException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.servers.S3Server;
import dev.tidemark.testing.ServersExtension;
import dev.tidemark.testing.TestServers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(ServersExtension.class)
class ErasureRequestsTest {

    private static final String BUCKET = "tidemark-erasure-requests";
    private static final byte[] KEY = "request-key-of-at-least-thirty-two-bytes".getBytes();

    private S3Client s3;
    private ErasureRequests requests;
    private String requestId;

    @BeforeEach
    void bucket(S3Server server) {
        s3 = TestServers.s3Client(server, BUCKET);
        requests = new ErasureRequests(() -> s3, BUCKET, () -> KEY);
        requestId = TestServers.unique("req");
    }

    private String body(String id) {
        return "{\"requestId\":\"" + requestId + "\",\"subject\":{\"type\":\"user\",\"id\":" + id + "},\"reason\":\"consent-withdrawn\"}";
    }

    private Map<String, String> bucketContents() {
        Map<String, String> out = new LinkedHashMap<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents()) {
            if (!o.key().endsWith("/")) {
                out.put(o.key(), s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(o.key())).asUtf8String());
            }
        }
        return out;
    }

    @Test
    void theSameIdAndBodyIsOneRequestAndAnotherBodyIsAConflictThatChangesNothing() {
        ErasureRequests.Accepted first = requests.accept(ErasureRequests.parse(body("\"alice@example.com\"")), List.of("app-db"), "arn:aws:iam::1:user/a");
        assertThat(first.created()).isTrue();
        ErasureRequests.Accepted again = requests.accept(ErasureRequests.parse(body("\"alice@example.com\"")), List.of("app-db"), "arn:aws:iam::1:user/b");
        assertThat(again.created()).isFalse();
        assertThat(again.request()).isEqualTo(first.request());
        Map<String, String> before = bucketContents();
        assertThat(before.get("requests/" + requestId + ".json")).doesNotContain("alice").contains(first.request().subjectHash());

        assertThatThrownBy(() -> requests.accept(ErasureRequests.parse(body("\"bob@example.com\"")), List.of("app-db"), null))
            .isInstanceOf(RequestConflictException.class).hasMessageStartingWith("requestId: '" + requestId + "' names another erasure request")
            .hasMessageNotContaining("bob");
        String dry = "{\"requestId\":\"" + requestId + "\",\"subject\":{\"type\":\"user\",\"id\":\"alice@example.com\"},\"reason\":"
            + "\"consent-withdrawn\",\"dryRun\":true}";
        assertThatThrownBy(() -> requests.accept(ErasureRequests.parse(dry), List.of("app-db"), null))
            .as("a dry run is another body").isInstanceOf(RequestConflictException.class);
        assertThat(bucketContents()).isEqualTo(before);
    }

    @Test
    void concurrentSubmissionsOfOneRequestAllAnswerTheSameRequestAndStoreOne() throws Exception {
        var pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<ErasureRequests.Accepted>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(() -> requests.accept(ErasureRequests.parse(body("42")), List.of("app-db", "search"), null));
            }
            List<ErasureRequests.Accepted> done = new ArrayList<>();
            for (Future<ErasureRequests.Accepted> f : pool.invokeAll(calls)) {
                done.add(f.get());
            }
            // S3 makes If-None-Match: * atomic, so exactly one call creates; S3Proxy's filesystem store can let two racing writers
            // both succeed. What holds on both: every call answers the same request (the API then starts one execution by
            // its name, which Step Functions keeps unique), and one request is stored
            assertThat(done).filteredOn(ErasureRequests.Accepted::created).isNotEmpty();
            assertThat(done).extracting(a -> a.request().bodyHash() + " " + a.request().subjectHash() + " " + a.request().targets())
                .containsOnly(done.getFirst().request().bodyHash() + " " + done.getFirst().request().subjectHash() + " [app-db, search]");
            assertThat(bucketContents().keySet()).filteredOn(k -> k.contains(requestId)).containsExactly("requests/" + requestId + ".json");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theSubjectIdIsKeptForTheErasureAndForgottenAfterIt() {
        ErasureRequests.Submission s = ErasureRequests.parse(body("7"));
        requests.accept(s, List.of("app-db"), null);
        assertThatThrownBy(() -> requests.subject(requestId)).as("not kept until an execution starts").isInstanceOf(ValidationException.class)
            .hasMessageStartingWith("subject: not in the event, and no pending erasure request");
        requests.keepSubject(s);
        assertThat(requests.subject(requestId)).isEqualTo(new ErasureRequests.Subject("user", "7"));
        assertThat(requests.subject(requestId).toString()).doesNotContain("7");
        requests.forget(requestId);
        assertThat(bucketContents().keySet()).filteredOn(k -> k.contains(requestId)).containsExactly("requests/" + requestId + ".json");
        requests.forget(requestId); // gone already: nothing happens
    }

    @Test
    void badBodiesAreRefusedNamingTheFieldAndNeverQuotingTheId() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("", "body: ");
        bad.put("[1]", "body: expected a JSON object");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"1\"},\"reason\":\"consent-withdrawn\",\"x\":1}", "x: unknown field");
        bad.put("{\"reason\":\"consent-withdrawn\"}", "subject: ");
        bad.put("{\"subject\":{\"type\":\"user\"},\"reason\":\"consent-withdrawn\"}", "subject.id: missing");
        bad.put("{\"subject\":{\"type\":\"User\",\"id\":\"1\"},\"reason\":\"consent-withdrawn\"}", "subject.type: ");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":{\"$ne\":null}},\"reason\":\"consent-withdrawn\"}", "subject.id: expected a string");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"$where-secret\"},\"reason\":\"consent-withdrawn\"}", "subject.id: operators and wildcards");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"secret*\"},\"reason\":\"consent-withdrawn\"}", "subject.id: operators and wildcards");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"" + "s".repeat(300) + "\"},\"reason\":\"consent-withdrawn\"}", "subject.id: expected 1 to 256");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"secret\"},\"reason\":\"because\"}", "reason: ");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"secret\"}}", "reason: missing");
        bad.put("{\"requestId\":\"../x\",\"subject\":{\"type\":\"user\",\"id\":\"secret\"},\"reason\":\"objection\"}", "requestId: ");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"secret\"},\"reason\":\"objection\",\"dryRun\":\"yes\"}", "dryRun: ");
        bad.put("{\"subject\":{\"type\":\"user\",\"id\":\"" + "x".repeat(5000) + "\"},\"reason\":\"objection\"}", "body: larger than");
        for (var b : bad.entrySet()) {
            assertThatThrownBy(() -> ErasureRequests.parse(b.getKey())).as(b.getKey().length() > 80 ? b.getKey().substring(0, 80) : b.getKey())
                .isInstanceOf(ValidationException.class).hasMessageStartingWith(b.getValue()).hasMessageNotContaining("secret");
        }
        assertThat(ErasureRequests.parse("{\"subject\":{\"type\":\"user\",\"id\":42},\"reason\":\"objection\"}").requestId())
            .as("a request id is generated when the caller sends none").matches("[0-9a-f-]{36}");
    }
}
