package dev.tidemark.functions.erasure;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.config.FunctionRuntime;
import dev.tidemark.erasure.ErasureReceipts;
import dev.tidemark.json.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.lambda.powertools.logging.PowertoolsLogging;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * Lambda handler of the erasure-receipt function, the erasure state machine's last step for a completed erasure: writes
 * the request's receipt once ({@link ErasureReceipts}). It holds no store secret: only the receipts bucket, the requests bucket and the key of
 * the subject's hash. Input: {@code {"requestId", "startedAt", "status": "COMPLETED", "targets"}}; the subject's keyed hash
 * comes from the request the erasure API accepted ({@link dev.tidemark.erasure.ErasureRequests}), whose subject id this
 * step then deletes. Output: {@code {"requestId", "location": "s3://...", "written": true|false}}.
 */
public final class ErasureReceiptHandler implements RequestStreamHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ErasureReceiptHandler.class);

    private final FunctionRuntime runtime;

    /** Lambda's constructor: configuration from the process environment. */
    public ErasureReceiptHandler() {
        this(System.getenv());
    }

    /** @param env environment variables (the local runtime passes each function's own) */
    public ErasureReceiptHandler(Map<String, String> env) {
        this.runtime = new FunctionRuntime(env);
    }

    /** Runs the function; errors leave with their code and retry decision ({@link FunctionRuntime#answer}). */
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        FunctionRuntime.answer(() -> handle(input, output, context));
    }

    private void handle(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = Json.readEvent(input);
        ErasureReceipts.Written w = PowertoolsLogging.withLogging(context, () -> runtime.audited("erasure-receipt", event, context.getAwsRequestId(), () -> {
            var requests = runtime.erasureRequests();
            ErasureReceipts.Written written = runtime.erasureReceipts().write(event, requests);
            // the receipt is written: the subject id has done its work
            requests.forget(written.receipt().path("requestId").asText());
            LOG.info("erasure receipt of {}: {}", written.receipt().path("requestId").asText(), written.written() ? "written" : "already there");
            return written;
        }, written -> Map.of("written", written.written() ? 1L : 0L)));
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("requestId", w.receipt().path("requestId").asText());
        out.put("location", w.location());
        out.put("written", w.written());
        Json.MAPPER.writeValue(output, out);
    }
}
