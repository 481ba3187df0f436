package dev.tidemark.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.RequestConflictException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.upgrade.EventFields;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Erasure requests (GDPR Art. 17) as the erasure API accepts them, kept in the requests bucket
 * ({@code TIDEMARK_ERASURE_REQUEST_BUCKET}):
 * <ul>
 *   <li>{@code requests/<requestId>.json}: the accepted request, written once (a conditional put, {@code If-None-Match: *}),
 *       so that the request id is an idempotency key: {@code {"requestId", "bodyHash", "subjectHash", "subjectType",
 *       "reason", "dryRun", "rewriteExports", "targets", "requestedBy", "acceptedAt"}}. It holds keyed hashes of the body and of the subject
 *       id (HMAC-SHA-256 under the erasure key), never the id;</li>
 *   <li>{@code subjects/<requestId>.json}: the subject id itself, {@code {"type", "id"}}, read by the erasure function
 *       and deleted by the receipt step once the erasure completed (the template's lifecycle rule removes what a dry run
 *       or an abandoned request leaves). The state machine's input and history carry the request id only.</li>
 * </ul>
 * The same request id with the same body is the same request; with another body it is a {@link RequestConflictException}.
 */
public final class ErasureRequests {

    /** A request id: letters, digits, {@code . _ -}, 1 to 64 characters (it names the execution and the receipt). */
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final String WHAT = "erasure request";
    private static final Pattern SUBJECT_TYPE = Pattern.compile("[a-z][a-z0-9_]{0,31}");
    /** Largest request body the API reads, in bytes. */
    public static final int MAX_BODY_BYTES = 4096;

    /**
     * Why the subject asks for erasure: the grounds of GDPR Art. 17(1)(a) to (f), as codes (a free-text reason could
     * itself hold personal data, and it goes into the receipt).
     */
    public static final List<String> REASONS = List.of("no-longer-necessary", "consent-withdrawn", "objection", "unlawful-processing",
        "legal-obligation", "child-consent");

    private final Supplier<S3Client> s3;
    private final String bucket;
    private final Supplier<byte[]> key;

    /**
     * @param s3 the S3 client
     * @param bucket the requests bucket
     * @param key the erasure key (at least 32 bytes): the body's and the subject's hashes are keyed with it
     */
    public ErasureRequests(Supplier<S3Client> s3, String bucket, Supplier<byte[]> key) {
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
    }

    /**
     * A request body, checked.
     *
     * @param requestId the caller's id, or one generated ({@code UUID})
     * @param subjectType the kind of subject, e.g. {@code user} (it must be the plans' {@code subject.name})
     * @param subjectId the subject id; {@link #toString()} hides it
     * @param reason one of {@link #REASONS}
     * @param dryRun count only, change nothing
     * @param rewriteExports also rewrite the bulk exports that hold the subject ({@link ErasureExports}); without it they
     *                       are listed
     */
    public record Submission(String requestId, String subjectType, String subjectId, String reason, boolean dryRun, boolean rewriteExports) {
        @Override
        public String toString() {
            return "Submission[" + requestId + ", " + subjectType + ", hidden, " + reason + ", dryRun=" + dryRun + ", rewriteExports="
                + rewriteExports + "]";
        }
    }

    /**
     * An accepted request, as stored.
     *
     * @param requestId its id
     * @param bodyHash {@code hmac-sha256:<hex>} of the body's fields
     * @param subjectHash {@code hmac-sha256:<hex>} of the subject id ({@link ErasureReceipts#subjectHash})
     * @param subjectType the kind of subject
     * @param reason the Art. 17(1) ground
     * @param dryRun whether it only counts
     * @param rewriteExports whether the bulk exports holding the subject are rewritten
     * @param targets the targets it erases on
     * @param requestedBy who sent it (the IAM principal's ARN), or {@code unknown}
     * @param acceptedAt when it was accepted
     */
    public record Request(String requestId, String bodyHash, String subjectHash, String subjectType, String reason, boolean dryRun,
                          boolean rewriteExports, List<String> targets, String requestedBy, Instant acceptedAt) {
    }

    /**
     * @param request the stored request
     * @param created whether this call created it ({@code false}: the same request was there)
     */
    public record Accepted(Request request, boolean created) {
    }

    /**
     * Parses and checks a request body: {@code {"requestId"?, "subject": {"type", "id"}, "reason", "dryRun"?, "rewriteExports"?}}.
     *
     * @param body the body, at most {@link #MAX_BODY_BYTES} bytes of JSON
     * @return the submission
     * @throws ValidationException naming the field (the subject id never appears in the message)
     */
    public static Submission parse(String body) {
        if (body == null || body.isBlank()) {
            throw new ValidationException("body: expected {\"subject\": {\"type\": \"user\", \"id\": \"42\"}, \"reason\": \"consent-withdrawn\"}");
        }
        if (body.getBytes(StandardCharsets.UTF_8).length > MAX_BODY_BYTES) {
            throw new ValidationException("body: larger than " + MAX_BODY_BYTES + " bytes");
        }
        JsonNode n;
        try {
            n = Json.readStrict(new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), "body");
        } catch (java.io.IOException e) {
            throw new ValidationException("body: not valid JSON");
        }
        if (n == null || !n.isObject()) {
            throw new ValidationException("body: expected a JSON object");
        }
        EventFields.unknown(n, Set.of("requestId", "subject", "reason", "dryRun", "rewriteExports"), "");
        String requestId;
        if (n.has("requestId")) {
            requestId = requireRequestId(EventFields.text(n, "requestId", "", 64));
        } else {
            requestId = UUID.randomUUID().toString();
        }
        JsonNode subject = n.path("subject");
        if (!subject.isObject()) {
            throw new ValidationException("subject: expected {\"type\": \"user\", \"id\": \"42\"}");
        }
        EventFields.unknown(subject, Set.of("type", "id"), "subject.");
        String type = EventFields.text(subject, "type", "subject.", 32);
        if (type == null || !SUBJECT_TYPE.matcher(type).matches()) {
            throw new ValidationException("subject.type: expected the plans' subject name, a lower-case word (e.g. user)");
        }
        String id = subjectId(subject.get("id"));
        String reason = EventFields.choice(n, "reason", "", REASONS);
        if (reason == null) {
            throw new ValidationException("reason: missing; one of " + String.join(", ", REASONS) + " (GDPR Art. 17(1)(a)-(f))");
        }
        return new Submission(requestId, type, id, reason, EventFields.flag(n, "dryRun"), EventFields.flag(n, "rewriteExports"));
    }

    /** The subject id's form: the plans decide its type; operators and wildcards are refused here, whatever the store. */
    static String subjectId(JsonNode id) {
        if (id == null || id.isNull()) {
            throw new ValidationException("subject.id: missing");
        }
        if (!(id.isTextual() || id.isIntegralNumber())) {
            throw new ValidationException("subject.id: expected a string or a whole number, got " + EventFields.kind(id));
        }
        String value = id.asText();
        if (value.isEmpty() || value.length() > SubjectId.MAX_LENGTH) {
            throw new ValidationException("subject.id: expected 1 to " + SubjectId.MAX_LENGTH + " characters");
        }
        if (!value.equals(value.strip())) {
            throw new ValidationException("subject.id: leading or trailing white space");
        }
        if (value.startsWith("$") || value.chars().anyMatch(c -> c == '*' || c == '?' || c == '%' || c == '{' || c == '}')) {
            throw new ValidationException("subject.id: operators and wildcards ('$...', '*', '?', '%', braces) are refused; an id is matched exactly");
        }
        return EventFields.checked(value, "subject.id", SubjectId.MAX_LENGTH, false);
    }

    /**
     * Accepts a request: stores it once under its id, or finds the same request there.
     *
     * @param s the checked body
     * @param targets the targets it erases on
     * @param requestedBy who sent it (an IAM principal's ARN), or {@code null}
     * @return the stored request, and whether this call stored it
     * @throws RequestConflictException when the id names a request with another body (nothing changes)
     * @throws ConnectionException when S3 cannot be reached or answers 5xx (retry)
     */
    public Accepted accept(Submission s, List<String> targets, String requestedBy) {
        String bodyHash = "hmac-sha256:" + SubjectId.hmacHex(key.get(), "body:v1\n" + s.subjectType() + "\n" + s.subjectId() + "\n" + s.reason()
            + "\n" + s.dryRun() + "\n" + s.rewriteExports());
        Request request = new Request(s.requestId(), bodyHash, ErasureReceipts.subjectHash(key.get(), s.subjectId()), s.subjectType(), s.reason(),
            s.dryRun(), s.rewriteExports(), List.copyOf(targets), requestedBy == null ? "unknown" : requestedBy, Instant.now());
        String k = requestKey(s.requestId());
        Optional<Request> existing = find(s.requestId());
        if (existing.isEmpty()) {
            try {
                s3.get().putObject(b -> b.bucket(bucket).key(k).contentType("application/json").ifNoneMatch("*"),
                    RequestBody.fromString(json(request).toString(), StandardCharsets.UTF_8));
                return new Accepted(request, true);
            } catch (S3Exception e) {
                if (e.statusCode() != 412 && e.statusCode() != 409) {
                    throw ErasureObjects.failure(e, WHAT, "storing the request");
                }
                existing = find(s.requestId()); // another call stored it first
            } catch (SdkClientException e) {
                throw ErasureObjects.unreachable(WHAT, e);
            }
        }
        Request stored = existing.orElseThrow(() -> new ConnectionException("erasure request: the stored request vanished; retry", null));
        if (!stored.bodyHash().equals(bodyHash)) {
            throw new RequestConflictException("requestId: '" + s.requestId() + "' names another erasure request (another subject, reason or "
                + "dryRun); nothing was changed");
        }
        return new Accepted(stored, false);
    }

    /**
     * @param requestId a request id (checked)
     * @return the stored request, if there is one
     * @throws ValidationException when the id has not the request id's form
     */
    public Optional<Request> find(String requestId) {
        JsonNode n = read(requestKey(requireRequestId(requestId)));
        if (n == null) {
            return Optional.empty();
        }
        List<String> targets = new ArrayList<>();
        n.path("targets").forEach(t -> targets.add(t.asText()));
        return Optional.of(new Request(n.path("requestId").asText(), n.path("bodyHash").asText(), n.path("subjectHash").asText(),
            n.path("subjectType").asText(), n.path("reason").asText(), n.path("dryRun").asBoolean(), n.path("rewriteExports").asBoolean(),
            List.copyOf(targets),
            n.path("requestedBy").asText(), Instant.parse(n.path("acceptedAt").asText())));
    }

    /**
     * Keeps the subject id of an accepted request for the erasure function, until {@link #forget}.
     *
     * @param s the checked body the request was accepted with
     */
    public void keepSubject(Submission s) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("type", s.subjectType());
        o.put("id", s.subjectId());
        try {
            s3.get().putObject(b -> b.bucket(bucket).key(subjectKey(s.requestId())).contentType("application/json"),
                RequestBody.fromString(o.toString(), StandardCharsets.UTF_8));
        } catch (S3Exception e) {
            throw ErasureObjects.failure(e, WHAT, "storing the subject");
        } catch (SdkClientException e) {
            throw ErasureObjects.unreachable(WHAT, e);
        }
    }

    /**
     * The subject of an accepted request.
     *
     * @param type the kind of subject
     * @param id the id; {@link #toString()} hides it
     */
    public record Subject(String type, String id) {
        @Override
        public String toString() {
            return "Subject[" + type + ", hidden]";
        }
    }

    /**
     * @param requestId the request id
     * @return its subject
     * @throws ValidationException naming {@code subject} when no accepted request holds a subject under the id (not
     *                             accepted through the API, or completed and forgotten)
     */
    public Subject subject(String requestId) {
        JsonNode n = read(subjectKey(requireRequestId(requestId)));
        if (n == null || !n.path("id").isTextual()) {
            throw new ValidationException("subject: not in the event, and no pending erasure request '" + requestId + "' holds one (not accepted "
                + "through the API, or completed and its subject id forgotten)");
        }
        return new Subject(n.path("type").asText(), n.path("id").asText());
    }

    /**
     * Deletes the subject id of a request (after its receipt); nothing happens when it is gone already.
     *
     * @param requestId the request id
     */
    public void forget(String requestId) {
        requireRequestId(requestId);
        try {
            s3.get().deleteObject(b -> b.bucket(bucket).key(subjectKey(requestId)));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw ErasureObjects.failure(e, WHAT, "forgetting the subject");
            }
        } catch (SdkClientException e) {
            throw ErasureObjects.unreachable(WHAT, e);
        }
    }

    /**
     * Adds one call's counts to a request's progress on a target, for an erasure that takes several calls: while the
     * result is not {@code done} its counts are kept ({@code progress/<requestId>/<target>.json}, counts only); the call
     * that finishes gets the sums over every call, and the progress is deleted. A plan that changed between calls
     * (another SHA-256) starts the sums again.
     *
     * @param requestId the request id
     * @param result this call's result
     * @return {@code result} while not done; once done, the same result with every call's counts summed
     */
    public ErasureResult accumulate(String requestId, ErasureResult result) {
        requireRequestId(requestId);
        String k = "progress/" + requestId + "/" + result.target() + ".json";
        JsonNode kept = read(k);
        List<ErasureResult.Item> items = new ArrayList<>();
        long duration = result.durationMs();
        boolean samePlan = kept != null && kept.path("plan").asText().equals(result.plan()) && kept.path("items").size() == result.items().size();
        for (int i = 0; i < result.items().size(); i++) {
            ErasureResult.Item now = result.items().get(i);
            JsonNode before = samePlan ? kept.path("items").get(i) : Json.MAPPER.createObjectNode();
            items.add(new ErasureResult.Item(now.name(), now.action(), now.matched() + before.path("matched").asLong(),
                now.erased() + before.path("erased").asLong(), now.anonymised() + before.path("anonymised").asLong(), now.remaining(),
                now.durationMs() + before.path("durationMs").asLong()));
        }
        if (samePlan) {
            duration += kept.path("durationMs").asLong();
        }
        ErasureResult summed = new ErasureResult(result.store(), result.target(), result.dryRun(), result.plan(), List.copyOf(items), duration,
            result.done());
        try {
            if (result.done()) {
                if (kept != null) {
                    s3.get().deleteObject(b -> b.bucket(bucket).key(k));
                }
                return summed;
            }
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("plan", summed.plan());
            o.put("durationMs", summed.durationMs());
            var arr = o.putArray("items");
            for (ErasureResult.Item i : summed.items()) {
                // the counts so far; matched is what earlier calls erased or anonymised, plus this call's match
                arr.addObject().put("matched", i.erased() + i.anonymised()).put("erased", i.erased()).put("anonymised", i.anonymised())
                    .put("durationMs", i.durationMs());
            }
            s3.get().putObject(b -> b.bucket(bucket).key(k).contentType("application/json"), RequestBody.fromString(o.toString(),
                StandardCharsets.UTF_8));
            return result;
        } catch (S3Exception e) {
            throw ErasureObjects.failure(e, WHAT, "keeping the progress");
        } catch (SdkClientException e) {
            throw ErasureObjects.unreachable(WHAT, e);
        }
    }

    private static String requestKey(String requestId) {
        return "requests/" + requestId + ".json";
    }

    private static String subjectKey(String requestId) {
        return "subjects/" + requestId + ".json";
    }

    private static ObjectNode json(Request r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("requestId", r.requestId());
        o.put("bodyHash", r.bodyHash());
        o.put("subjectHash", r.subjectHash());
        o.put("subjectType", r.subjectType());
        o.put("reason", r.reason());
        o.put("dryRun", r.dryRun());
        o.put("rewriteExports", r.rewriteExports());
        r.targets().forEach(o.putArray("targets")::add);
        o.put("requestedBy", r.requestedBy());
        o.put("acceptedAt", r.acceptedAt().toString());
        return o;
    }

    /**
     * Checks a request id's form, without reading anything.
     *
     * @param requestId a request id from an event, a body or a path
     * @return it
     * @throws ValidationException naming {@code requestId} when it is not 1 to 64 letters, digits, {@code . _ -}
     */
    public static String requireRequestId(String requestId) {
        if (requestId == null || !REQUEST_ID.matcher(requestId).matches()) {
            throw new ValidationException("requestId: expected 1 to 64 letters, digits, '.', '_' or '-'");
        }
        return requestId;
    }

    private JsonNode read(String k) {
        return ErasureObjects.read(s3.get(), bucket, k, WHAT);
    }
}
