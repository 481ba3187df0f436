package dev.tidemark.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.bulk.TidemarkVersion;
import dev.tidemark.error.ConnectionException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.upgrade.EventFields;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Erasure receipts (GDPR Art. 17 and Art. 5(2), accountability): one JSON object per request in S3,
 * {@code receipts/<requestId>.json}, written once. It holds the request id, a keyed hash of the subject id (never the id),
 * the subject's kind, the Art. 17(1) ground, who asked (the IAM principal) and when, as the API accepted them ({@link ErasureRequests}),
 * the status ({@code COMPLETED}), per target what was erased and verified (counts only) and the SHA-256 of the plan run, the start and end
 * times and the Tidemark version. The write is conditional ({@code If-None-Match: *}, S3 conditional writes), so the store
 * refuses a second write; a request whose receipt exists gets that receipt back, and another subject under the same
 * request id is refused.
 */
public final class ErasureReceipts {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Set<String> ACTIONS = Set.of("delete", "anonymise");

    private final Supplier<S3Client> s3;
    private final String bucket;
    private final Supplier<byte[]> key;

    /**
     * @param s3 the S3 client
     * @param bucket the receipts bucket
     * @param key the key of the subject's keyed hash (at least 32 bytes)
     */
    public ErasureReceipts(Supplier<S3Client> s3, String bucket, Supplier<byte[]> key) {
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
    }

    /**
     * @param subjectId the subject id
     * @return {@code hmac-sha256:<hex>} of {@code receipt:<id>} under the key: the same subject always gets the same hash,
     *         which cannot be reversed or recomputed without the key
     */
    public String subjectHash(String subjectId) {
        return subjectHash(key.get(), subjectId);
    }

    /**
     * @param key the erasure key
     * @param subjectId the subject id
     * @return {@code hmac-sha256:<hex>} of {@code receipt:<id>} under the key
     */
    static String subjectHash(byte[] key, String subjectId) {
        return "hmac-sha256:" + SubjectId.hmacHex(key, "receipt:" + subjectId);
    }

    /**
     * The written receipt.
     *
     * @param location {@code s3://bucket/receipts/<requestId>.json}
     * @param written whether this call wrote it ({@code false}: it existed, for the same subject)
     * @param receipt its content
     */
    public record Written(String location, boolean written, JsonNode receipt) {
    }

    /**
     * Writes a request's receipt once.
     *
     * @param event {@code {"requestId", "startedAt", "status": "COMPLETED", "targets": [...]}}, the erasure state machine's
     *              summary of a completed erasure (a failed one gets no receipt, so a later run of the same request can
     *              still complete it); every target is checked field by field, so nothing but names, plan hashes and
     *              counts reaches the receipt
     * @param requests the accepted requests: the receipt takes the subject's keyed hash, the reason and the requester
     *                 from the request the API stored, so the event carries no subject id
     * @return where it is, and whether this call wrote it
     * @throws ValidationException naming the field when the event is malformed, or {@code requestId} when no such request
     *                             was accepted, it is a dry run, or a receipt of another subject exists under that id
     *                             (nothing is written)
     * @throws ConnectionException when S3 cannot be reached or answers 5xx (retry)
     */
    public Written write(JsonNode event, ErasureRequests requests) {
        if (event == null || !event.isObject()) {
            throw new ValidationException("event: expected {\"requestId\", \"startedAt\", \"status\", \"targets\"}");
        }
        EventFields.unknown(event, Set.of("requestId", "startedAt", "status", "targets", "exports", "execution"), "");
        String requestId = ErasureRequests.requireRequestId(EventFields.text(event, "requestId", "", 64));
        String startedAt = EventFields.text(event, "startedAt", "", 64);
        Instant started;
        try {
            started = Instant.parse(startedAt == null ? "" : startedAt);
        } catch (java.time.format.DateTimeParseException e) {
            throw new ValidationException("startedAt: expected an ISO-8601 instant");
        }
        String status = EventFields.choice(event, "status", "", List.of("COMPLETED"));
        if (status == null) {
            throw new ValidationException("status: missing; a receipt records a COMPLETED erasure");
        }
        ArrayNode targets = targets(event.path("targets"));
        ErasureRequests.Request request = requests.find(requestId).orElseThrow(() -> new ValidationException("requestId: no erasure request '"
            + requestId + "' was accepted; nothing was written"));
        if (request.dryRun()) {
            throw new ValidationException("requestId: '" + requestId + "' is a dry run; a receipt records an erasure");
        }
        ObjectNode receipt = Json.MAPPER.createObjectNode();
        receipt.put("requestId", requestId);
        receipt.put("subjectHash", request.subjectHash());
        receipt.put("subjectType", request.subjectType());
        receipt.put("reason", request.reason());
        receipt.put("requestedBy", request.requestedBy());
        receipt.put("acceptedAt", request.acceptedAt().toString());
        receipt.put("status", status);
        receipt.put("startedAt", started.toString());
        receipt.put("finishedAt", Instant.now().toString());
        receipt.put("tidemarkVersion", TidemarkVersion.get());
        receipt.set("targets", targets);
        receipt.set("exports", exports(event.path("exports")));
        String k = "receipts/" + requestId + ".json";
        String location = "s3://" + bucket + "/" + k;
        JsonNode existing = read(k);
        if (existing != null) {
            return same(existing, receipt, location);
        }
        try {
            s3.get().putObject(b -> b.bucket(bucket).key(k).contentType("application/json").ifNoneMatch("*"),
                RequestBody.fromString(receipt.toString(), StandardCharsets.UTF_8));
            return new Written(location, true, receipt);
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                JsonNode now = read(k);
                if (now != null) {
                    return same(now, receipt, location);
                }
            }
            throw ErasureObjects.failure(e, "erasure receipt", "writing the receipt");
        } catch (software.amazon.awssdk.core.exception.SdkClientException e) {
            throw ErasureObjects.unreachable("erasure receipt", e);
        }
    }

    private static Written same(JsonNode existing, JsonNode receipt, String location) {
        if (!existing.path("subjectHash").asText().equals(receipt.path("subjectHash").asText())) {
            throw new ValidationException("requestId: a receipt for another subject exists under this request id; nothing was written");
        }
        return new Written(location, false, existing);
    }

    /**
     * @param requestId a request id
     * @return the request's receipt, if it has one
     * @throws ValidationException when the id has not a request id's form
     * @throws ConnectionException when S3 cannot be reached or answers 5xx (retry)
     */
    public java.util.Optional<JsonNode> find(String requestId) {
        return java.util.Optional.ofNullable(read("receipts/" + ErasureRequests.requireRequestId(requestId) + ".json"));
    }

    private JsonNode read(String k) {
        return ErasureObjects.read(s3.get(), bucket, k, "erasure receipt");
    }

    /** Copies the exports step's outcomes field by field: locations, names, statuses and counts only. */
    private static ArrayNode exports(JsonNode exports) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        if (exports.isMissingNode() || exports.isNull()) {
            return out;
        }
        if (!exports.isArray() || exports.size() > 10_000) {
            throw new ValidationException("exports: expected an array of at most 10000 export outcomes");
        }
        for (int i = 0; i < exports.size(); i++) {
            String f = "exports[" + i + "].";
            JsonNode e = exports.get(i);
            if (!e.isObject()) {
                throw new ValidationException("exports[" + i + "]: expected an object");
            }
            EventFields.unknown(e, Set.of("location", "target", "source", "status", "records", "partsRewritten"), f);
            ObjectNode o = out.addObject();
            String location = EventFields.text(e, "location", f, 1100);
            if (location == null || !location.startsWith("s3://")) {
                throw new ValidationException(f + "location: expected s3://bucket/prefix/");
            }
            o.put("location", location);
            for (String name : List.of("target", "source")) {
                String v = EventFields.text(e, name, f, 320);
                if (v == null) {
                    throw new ValidationException(f + name + ": missing");
                }
                o.put(name, v);
            }
            String status = EventFields.choice(e, "status", f, List.of("CLEAN", "HOLDS_SUBJECT", "REWRITTEN", "NOT_CHECKED"));
            if (status == null) {
                throw new ValidationException(f + "status: missing");
            }
            o.put("status", status);
            for (String count : List.of("records", "partsRewritten")) {
                JsonNode v = e.path(count);
                if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                    throw new ValidationException(f + count + ": expected a count (a whole number >= 0)");
                }
                o.put(count, v.asLong());
            }
        }
        return out;
    }

    /** Copies the state machine's per-target outcomes field by field: names, plan hashes and counts only. */
    private static ArrayNode targets(JsonNode targets) {
        if (!targets.isArray() || targets.isEmpty() || targets.size() > EventFields.MAX_TARGETS) {
            throw new ValidationException("targets: expected an array of 1 to " + EventFields.MAX_TARGETS + " target outcomes");
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (int i = 0; i < targets.size(); i++) {
            String f = "targets[" + i + "]";
            JsonNode t = targets.get(i);
            if (!t.isObject()) {
                throw new ValidationException(f + ": expected an object");
            }
            // coverage findings stay in the state machine's output; the receipt records what was erased
            EventFields.unknown(t, Set.of("target", "failed", "result", "error", "coverage"), f + ".");
            ObjectNode o = out.addObject();
            String name = EventFields.text(t, "target", f + ".", 64);
            if (name == null) {
                throw new ValidationException(f + ".target: missing");
            }
            o.put("target", name);
            if (!t.path("failed").isBoolean()) {
                throw new ValidationException(f + ".failed: expected true or false");
            }
            if (t.path("failed").asBoolean() || t.has("error")) {
                throw new ValidationException(f + ".failed: a receipt records a completed erasure; this target failed");
            }
            JsonNode r = t.path("result");
            if (!r.isObject()) {
                throw new ValidationException(f + ".result: expected the erasure function's result");
            }
            String rf = f + ".result.";
            EventFields.unknown(r, Set.of("store", "target", "dryRun", "plan", "items", "durationMs", "done"), rf);
            if (r.has("done") && !r.path("done").asBoolean(false)) {
                throw new ValidationException(rf + "done: a receipt records a completed erasure; this target has work left");
            }
            String store = EventFields.choice(r, "store", rf, List.of("postgres", "mongodb", "elasticsearch"));
            if (store == null) {
                throw new ValidationException(rf + "store: missing");
            }
            o.put("store", store);
            String plan = EventFields.text(r, "plan", rf, 64);
            if (plan == null || !SHA256.matcher(plan).matches()) {
                throw new ValidationException(rf + "plan: expected the plan's SHA-256 (64 lower-case hex digits)");
            }
            if (!r.path("dryRun").isBoolean() || r.path("dryRun").asBoolean()) {
                throw new ValidationException(rf + "dryRun: a receipt records an erasure, not a dry run");
            }
            o.put("plan", plan);
            ArrayNode items = o.putArray("items");
            JsonNode in = r.path("items");
            if (!in.isArray() || in.size() > ErasurePlan.MAX_ITEMS) {
                throw new ValidationException(rf + "items: expected an array of at most " + ErasurePlan.MAX_ITEMS);
            }
            for (int j = 0; j < in.size(); j++) {
                String itf = rf + "items[" + j + "].";
                JsonNode item = in.get(j);
                if (!item.isObject()) {
                    throw new ValidationException(itf.substring(0, itf.length() - 1) + ": expected an object");
                }
                EventFields.unknown(item, Set.of("name", "action", "matched", "erased", "anonymised", "remaining", "durationMs"), itf);
                ObjectNode c = items.addObject();
                String itemName = EventFields.text(item, "name", itf, 320);
                if (itemName == null) {
                    throw new ValidationException(itf + "name: missing");
                }
                c.put("name", itemName);
                String action = EventFields.text(item, "action", itf, 16);
                if (action == null || !ACTIONS.contains(action)) {
                    throw new ValidationException(itf + "action: expected delete or anonymise");
                }
                c.put("action", action);
                for (String count : List.of("matched", "erased", "anonymised", "remaining")) {
                    JsonNode v = item.path(count);
                    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                        throw new ValidationException(itf + count + ": expected a count (a whole number >= 0)");
                    }
                    c.put(count, v.asLong());
                }
            }
        }
        return out;
    }
}
