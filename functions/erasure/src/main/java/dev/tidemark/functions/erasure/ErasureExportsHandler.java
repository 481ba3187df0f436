package dev.tidemark.functions.erasure;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.config.FunctionRuntime;
import dev.tidemark.erasure.ErasureExports;
import dev.tidemark.erasure.ErasurePlan;
import dev.tidemark.erasure.ErasureRequests;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Lambda handler of the erasure-exports function, the erasure state machine's step after every target erased: lists the
 * bulk exports ({@code TIDEMARK_BULK_BUCKET}) whose source holds the request's subject and, when the request asked for
 * it ({@code rewriteExports}), rewrites them without the subject's records ({@link ErasureExports}). Input:
 * {@code {"requestId", "execution"?}}; the subject, the flag and the dry run come from the accepted request (a dry run
 * only lists). Output: {@code {"requestId", "exports": [{"location", "target", "source", "status", "records",
 * "partsRewritten"}]}}: counts only, never the subject id.
 */
public final class ErasureExportsHandler implements RequestStreamHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ErasureExportsHandler.class);

    private final FunctionRuntime runtime;

    /** Lambda's constructor: configuration from the process environment. */
    public ErasureExportsHandler() {
        this(System.getenv());
    }

    /** @param env environment variables (the local runtime passes each function's own) */
    public ErasureExportsHandler(Map<String, String> env) {
        this.runtime = new FunctionRuntime(env);
    }

    /** Runs the function; errors leave with their code and retry decision ({@link FunctionRuntime#answer}). */
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        FunctionRuntime.answer(() -> handle(input, output, context));
    }

    private void handle(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = Json.readEvent(input);
        if (event == null || !event.isObject()) {
            throw new ValidationException("event: expected {\"requestId\": ...}");
        }
        EventFields.unknown(event, Set.of("requestId", "execution"), "");
        String requestId = ErasureHandler.requestId(event);
        dev.tidemark.audit.AuditTrail.actor(event, null); // a malformed execution is refused before anything is read
        String bucket = runtime.env().get("TIDEMARK_BULK_BUCKET");
        if (bucket == null || bucket.isBlank()) {
            throw new ValidationException("TIDEMARK_BULK_BUCKET: not set; the bulk exports are read there");
        }
        ErasureRequests requests = runtime.erasureRequests();
        ErasureRequests.Request request = requests.find(requestId).orElseThrow(() -> new ValidationException("requestId: no erasure request '"
            + requestId + "' was accepted"));
        ErasureRequests.Subject subject = requests.subject(requestId);
        boolean rewrite = request.rewriteExports() && !request.dryRun();
        ObjectNode out = PowertoolsLogging.withLogging(context, () -> runtime.audited("erasure-exports", event, context.getAwsRequestId(), () -> {
            ErasureService service = runtime.erasure();
            Map<String, Optional<ErasurePlan>> plans = new HashMap<>();
            List<ErasureExports.Outcome> outcomes = new ErasureExports(runtime::s3Client, bucket).run(target -> plans.computeIfAbsent(target,
                t -> service.planIfAny(t)), subject.id(), rewrite, requestId);
            LOG.info("erasure {}: {} export(s) hold or held the subject's source, {} rewritten", requestId, outcomes.size(),
                outcomes.stream().filter(o -> o.status().equals("REWRITTEN")).count());
            ObjectNode answer = Json.MAPPER.createObjectNode();
            answer.put("requestId", requestId);
            answer.set("exports", Json.MAPPER.valueToTree(outcomes));
            return answer;
        }, answer -> Map.of("exports", (long) answer.path("exports").size(), "records", sum(answer.path("exports"), "records"),
            "partsRewritten", sum(answer.path("exports"), "partsRewritten"))));
        Json.MAPPER.writeValue(output, out);
    }

    private static long sum(JsonNode exports, String field) {
        long total = 0;
        for (JsonNode e : exports) {
            total += e.path(field).asLong();
        }
        return total;
    }
}
