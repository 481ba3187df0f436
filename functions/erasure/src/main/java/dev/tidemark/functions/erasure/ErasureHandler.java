package dev.tidemark.functions.erasure;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.bulk.Budget;
import dev.tidemark.config.FunctionRuntime;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.erasure.ErasureRequests;
import dev.tidemark.erasure.ErasureResult;
import dev.tidemark.erasure.ErasureService;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.upgrade.EventFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.lambda.powertools.logging.PowertoolsLogging;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Set;

/**
 * Lambda handler of the erasure function: one target's part of an erasure request (GDPR Art. 17).
 * Input from the erasure state machine: {@code {"requestId": "req-2026-0042", "target": "app-db", "dryRun": false}}; the
 * subject is the one the erasure API accepted under that request id ({@link dev.tidemark.erasure.ErasureRequests}, bucket
 * {@code TIDEMARK_ERASURE_REQUEST_BUCKET}), so no subject id travels through Step Functions. An operator invoking the
 * function directly may name it instead: {@code "subject": {"id": "42"}}. Output:
 * {@code {"requestId": ..., "target": ..., "result": ErasureResult, "coverage": [...], "done": true}}: counts per table, collection or
 * index, and the plan's coverage findings ({@link dev.tidemark.erasure.ErasureCoverage}), never the subject id. A call
 * stops {@value #MARGIN_SECONDS} s before Lambda's timeout (or after {@code TIDEMARK_ERASURE_MAX_SECONDS_PER_CALL}) with
 * {@code "done": false}, keeping what it erased; the state machine calls again with the same event until done, and
 * the last call answers the counts summed over every call ({@link ErasureRequests#accumulate}). Errors leave with their
 * code and retry decision ({@link FunctionRuntime#answer}); the log names the request and the target, never the subject.
 */
public final class ErasureHandler implements RequestStreamHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ErasureHandler.class);
    private static final Set<String> FIELDS = Set.of("requestId", "target", "subject", "dryRun", "execution");

    /** Seconds kept free at the end of a call for the verification count and the answer. */
    static final int MARGIN_SECONDS = 20;

    private final FunctionRuntime runtime;
    private final Integer maxSecondsPerCall;

    /** Lambda's constructor: configuration from the process environment. */
    public ErasureHandler() {
        this(System.getenv());
    }

    /** @param env environment variables (the local runtime passes each function's own) */
    public ErasureHandler(Map<String, String> env) {
        this.runtime = new FunctionRuntime(env);
        String max = env.get("TIDEMARK_ERASURE_MAX_SECONDS_PER_CALL");
        if (max != null && !max.matches("[0-9]{1,3}")) {
            throw new ValidationException("TIDEMARK_ERASURE_MAX_SECONDS_PER_CALL: expected 0 to 999 seconds (0: one batch per item per call)");
        }
        this.maxSecondsPerCall = max == null ? null : Integer.valueOf(max);
    }

    /** Runs the function; errors leave with their code and retry decision ({@link FunctionRuntime#answer}). */
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        FunctionRuntime.answer(() -> handle(input, output, context));
    }

    /** The request's own id: letters, digits, {@code . _ -}, 1 to 64 characters. */
    static String requestId(JsonNode event) {
        return ErasureRequests.requireRequestId(EventFields.text(event, "requestId", "", 64));
    }

    private void handle(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = Json.readEvent(input);
        if (event == null || !event.isObject()) {
            throw new ValidationException("event: expected {\"requestId\": ..., \"target\": ..., \"dryRun\": false}");
        }
        EventFields.unknown(event, FIELDS, "");
        String requestId = requestId(event);
        dev.tidemark.audit.AuditTrail.actor(event, null); // a malformed execution is refused before anything is read
        String targetName = EventFields.text(event, "target", "", 64);
        if (targetName == null) {
            throw new ValidationException("target: missing");
        }
        boolean dryRun = EventFields.flag(event, "dryRun");
        String subjectType;
        String subjectId;
        boolean accepted = !event.has("subject");
        if (event.has("subject")) {
            JsonNode subject = event.path("subject");
            if (!subject.isObject()) {
                throw new ValidationException("subject: expected {\"id\": \"...\"}");
            }
            EventFields.unknown(subject, Set.of("id"), "subject.");
            JsonNode id = subject.get("id");
            if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
                throw new ValidationException("subject.id: expected a string or a whole number");
            }
            subjectType = null;
            subjectId = id.asText();
        } else {
            ErasureRequests requests = runtime.erasureRequests();
            ErasureRequests.Subject stored = requests.subject(requestId);
            boolean acceptedDryRun = requests.find(requestId).map(ErasureRequests.Request::dryRun).orElse(true);
            if (acceptedDryRun != dryRun) {
                throw new ValidationException("dryRun: request '" + requestId + "' was accepted " + (acceptedDryRun ? "as a dry run" : "as an erasure")
                    + "; nothing was changed");
            }
            subjectType = stored.type();
            subjectId = stored.id();
        }
        ObjectNode out = PowertoolsLogging.withLogging(context, () -> runtime.audited("erasure", event, context.getAwsRequestId(), () -> {
            var service = runtime.erasure();
            TargetConfig target = service.target(targetName);
            Budget budget = Budget.forLambda(context == null ? 900_000 : context.getRemainingTimeInMillis(), MARGIN_SECONDS, maxSecondsPerCall);
            ErasureService.Outcome outcome = service.erase(target, subjectType, subjectId, dryRun, budget::softPassed);
            ErasureResult r = outcome.result();
            if (accepted && !dryRun) {
                // an erasure that takes several calls: the call that finishes answers the sums over all of them
                r = runtime.erasureRequests().accumulate(requestId, r);
            }
            LOG.info("erasure {} on target {}{}: {} item(s), {} ms, {} coverage finding(s)", requestId, target.name(), dryRun ? " (dry run)" : "",
                r.items().size(), r.durationMs(), outcome.coverage().size());
            ObjectNode answer = Json.MAPPER.createObjectNode();
            answer.put("requestId", requestId);
            answer.put("target", targetName);
            answer.set("result", Json.MAPPER.valueToTree(r));
            answer.set("coverage", Json.MAPPER.valueToTree(outcome.coverage()));
            answer.put("done", r.done());
            return answer;
        }, answer -> totals(answer.path("result").path("items"))));
        Json.MAPPER.writeValue(output, out);
    }

    /** The audit event's counts: matched, erased, anonymised and remaining, summed over the items. */
    static Map<String, Long> totals(JsonNode items) {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (String count : java.util.List.of("matched", "erased", "anonymised", "remaining")) {
            long sum = 0;
            for (JsonNode i : items) {
                sum += i.path(count).asLong();
            }
            out.put(count, sum);
        }
        return out;
    }
}
