package dev.tidemark.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.bulk.TidemarkVersion;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The audit trail: one JSON object per Tidemark operation (upgrade, repair, rollback, bulk export, bulk import, erasure,
 * erasure receipt, erasure request) under {@code audit/<yyyy>/<MM>/<dd>/<instant>-<operation>-<uuid>.json} in the audit
 * bucket ({@code TIDEMARK_AUDIT_BUCKET}; the template points it at the receipts bucket, whose Object Lock keeps both).
 * Each is written once (a conditional put) and holds who ({@code actor}: the Step Functions execution that sent the
 * event, the IAM principal of an API call, or the Lambda invocation), what ({@code operation}, {@code targets},
 * {@code dryRun}, counts), when ({@code startedAt}, {@code durationMs}) and the result ({@code SUCCEEDED}, or
 * {@code FAILED} with the error code). It never holds a subject id, a secret, a statement, a row or a message: only
 * names, codes and counts. An event refused before anything ran ({@link ValidationException}) is not an operation
 * and is not recorded. A trail that cannot be written is logged (the error's class and status) and does not fail the
 * operation, which has already happened.
 */
public final class AuditTrail {

    private static final Logger LOG = LoggerFactory.getLogger(AuditTrail.class);
    private static final Pattern EXECUTION_ARN = Pattern.compile("arn:aws[a-z-]*:states:[a-z0-9-]{1,32}:[0-9]{12}:execution:[A-Za-z0-9_.-]{1,80}"
        + ":[A-Za-z0-9_.-]{1,80}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy/MM/dd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    /** The event field a state machine names its execution in: {@code "execution": {"id": "<execution ARN>"}}. */
    public static final String EXECUTION_FIELD = "execution";

    private final Supplier<S3Client> s3;
    private final String bucket;

    /**
     * @param s3 the S3 client
     * @param bucket the audit bucket, or {@code null} for no trail (a deployment without one)
     */
    public AuditTrail(Supplier<S3Client> s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket == null || bucket.isBlank() ? null : bucket;
    }

    /**
     * One audit event.
     *
     * @param operation {@code upgrade}, {@code repair}, {@code rollback}, {@code bulk-export}, {@code bulk-import},
     *                  {@code erasure}, {@code erasure-receipt} or {@code erasure-request}
     * @param actor who: {@code execution <ARN>}, {@code iam <ARN>} or {@code lambda-invocation <request id>}
     * @param targets the target names concerned
     * @param dryRun whether it changed nothing by design
     * @param result {@code SUCCEEDED} or {@code FAILED}
     * @param errorCode the error code when it failed, else {@code null}
     * @param startedAt when it started
     * @param durationMs how long it ran, in ms
     * @param counts what it did, by name (e.g. {@code migrationsApplied}, {@code records}, {@code erased}); counts only
     */
    public record Event(String operation, String actor, List<String> targets, boolean dryRun, String result, String errorCode, Instant startedAt,
                        long durationMs, Map<String, Long> counts) {
    }

    /** @return whether events are written */
    public boolean enabled() {
        return bucket != null;
    }

    /**
     * Writes one event; never throws.
     *
     * @param e the event
     * @return its key, or {@code null} when it was not written
     */
    public String append(Event e) {
        if (bucket == null) {
            return null;
        }
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("operation", e.operation());
        o.put("actor", e.actor());
        e.targets().forEach(o.putArray("targets")::add);
        o.put("dryRun", e.dryRun());
        o.put("result", e.result());
        if (e.errorCode() != null) {
            o.put("errorCode", e.errorCode());
        }
        o.put("startedAt", e.startedAt().toString());
        o.put("durationMs", e.durationMs());
        ObjectNode counts = o.putObject("counts");
        e.counts().forEach(counts::put);
        o.put("tidemarkVersion", TidemarkVersion.get());
        String key = "audit/" + DAY.format(e.startedAt()) + "/" + STAMP.format(e.startedAt()) + "-" + e.operation() + "-" + UUID.randomUUID() + ".json";
        try {
            s3.get().putObject(b -> b.bucket(bucket).key(key).contentType("application/json").ifNoneMatch("*"),
                RequestBody.fromString(o.toString(), StandardCharsets.UTF_8));
            return key;
        } catch (S3Exception ex) {
            LOG.error("audit event of {} not written: HTTP {}", e.operation(), ex.statusCode());
        } catch (SdkException ex) {
            LOG.error("audit event of {} not written: {}", e.operation(), ex.getClass().getSimpleName());
        }
        return null;
    }

    /**
     * Who sent an event: the Step Functions execution it names ({@code "execution": {"id": "<ARN>"}}, which the state
     * machines add from {@code $$.Execution.Id}), else the Lambda invocation. The field is the caller's claim (anyone
     * allowed to invoke the function can write it); CloudTrail records the invoking principal.
     *
     * @param event the function's event
     * @param invocationId Lambda's request id
     * @return the actor
     * @throws ValidationException naming {@code execution} when the field is present and not an execution ARN
     */
    public static String actor(JsonNode event, String invocationId) {
        JsonNode execution = event == null ? null : event.get(EXECUTION_FIELD);
        if (execution == null) {
            return "lambda-invocation " + (invocationId == null ? "unknown" : invocationId);
        }
        JsonNode id = execution.get("id");
        if (!execution.isObject() || execution.size() != 1 || id == null || !id.isTextual() || !EXECUTION_ARN.matcher(id.asText()).matches()) {
            throw new ValidationException("execution: expected {\"id\": \"<a Step Functions execution ARN>\"}");
        }
        return "execution " + id.asText();
    }

    /**
     * @param event a function's event
     * @return the target names it concerns: {@code target}, or the {@code name} (or the text) of each {@code targets} /
     *         {@code rolloutTargets} item; names only, at most 20
     */
    public static List<String> targets(JsonNode event) {
        List<String> out = new ArrayList<>();
        if (event == null) {
            return out;
        }
        add(out, event.get("target"));
        for (String list : List.of("targets", "rolloutTargets")) {
            for (JsonNode t : event.path(list)) {
                add(out, t.isObject() ? t.get("name") : t);
            }
        }
        return out.stream().distinct().limit(20).toList();
    }

    private static void add(List<String> out, JsonNode n) {
        if (n != null && n.isTextual() && NAME.matcher(n.asText()).matches()) {
            out.add(n.asText());
        }
    }

    /**
     * Runs an operation and records it: {@code SUCCEEDED} with its counts, or {@code FAILED} with the error code
     * ({@code INTERNAL} for an unexpected error), which is then rethrown. A {@link ValidationException} (refused before
     * anything ran) is rethrown unrecorded.
     *
     * @param operation the operation's name
     * @param actor who
     * @param targets the target names
     * @param dryRun whether it is a dry run
     * @param work the operation
     * @param counts its counts, from its result
     * @param <T> the result type
     * @return the result
     */
    public <T> T record(String operation, String actor, List<String> targets, boolean dryRun, Supplier<T> work, Function<T, Map<String, Long>> counts) {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        try {
            T result = work.get();
            append(new Event(operation, actor, targets, dryRun, "SUCCEEDED", null, started, (System.nanoTime() - t0) / 1_000_000,
                new LinkedHashMap<>(counts.apply(result))));
            return result;
        } catch (ValidationException e) {
            throw e;
        } catch (TidemarkException e) {
            append(new Event(operation, actor, targets, dryRun, "FAILED", e.code().name(), started, (System.nanoTime() - t0) / 1_000_000, Map.of()));
            throw e;
        } catch (RuntimeException e) {
            append(new Event(operation, actor, targets, dryRun, "FAILED", "INTERNAL", started, (System.nanoTime() - t0) / 1_000_000, Map.of()));
            throw e;
        }
    }
}
