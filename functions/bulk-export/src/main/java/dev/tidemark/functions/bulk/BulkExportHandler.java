package dev.tidemark.functions.bulk;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.bulk.Budget;
import dev.tidemark.bulk.BulkService;
import dev.tidemark.bulk.ExportRequest;
import dev.tidemark.config.FunctionRuntime;
import dev.tidemark.json.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.lambda.powertools.logging.PowertoolsLogging;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * Lambda handler of the bulk-export function. Input: an {@link ExportRequest} event (README, {@code events/bulk-export-*.json}).
 * It exports until done or until Lambda's remaining time less {@code TIDEMARK_BULK_MARGIN_SECONDS} (default 60), and
 * answers with the same event plus {@code continuation}, {@code done} and {@code result}
 * ({@link dev.tidemark.bulk.BulkResult}); {@code statemachines/bulk-export.asl.json} sends it back until {@code done}.
 * Errors are {@link dev.tidemark.error.TidemarkException} subclasses reported by their fully qualified class names;
 * {@code dev.tidemark.error.TransferFailedException} carries the continuation to resume from.
 */
public final class BulkExportHandler implements RequestStreamHandler {

    private static final Logger LOG = LoggerFactory.getLogger(BulkExportHandler.class);

    private final FunctionRuntime runtime;

    /** Lambda's constructor: configuration from the process environment. */
    public BulkExportHandler() {
        this(System.getenv());
    }

    /** @param env environment variables (the local runtime passes each function's own) */
    public BulkExportHandler(Map<String, String> env) {
        this.runtime = new FunctionRuntime(env).readyForBulk();
    }

    /** Runs the function; errors leave with their code and retry decision ({@link FunctionRuntime#answer}). */
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        FunctionRuntime.answer(() -> handle(input, output, context));
    }

    private void handle(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = Json.readEvent(input);
        JsonNode out = PowertoolsLogging.withLogging(context, () -> runtime.audited("bulk-export", event, context.getAwsRequestId(), () -> {
            BulkService bulk = runtime.bulk();
            ExportRequest request = bulk.exportRequest(event);
            Budget budget = Budget.forLambda(context.getRemainingTimeInMillis(), runtime.bulkMarginSeconds(), request.throughput().maxSecondsPerCall());
            LOG.info("bulk export of {} {} to {}, continuing: {}", request.target().name(), request.source().name() == null ? "query"
                : request.source().name(), request.destination(), request.continuation() != null);
            BulkService.BulkOutcome outcome = bulk.export(request, budget);
            LOG.info("bulk export: done={}, {} records in {} ms", outcome.done(), outcome.result().records(), outcome.result().millis());
            return outcome.nextEvent(event);
        }, next -> java.util.Map.of("records", next.path("result").path("records").asLong(), "partsDone", next.path("result").path("partsDone").asLong(),
            "done", next.path("done").asBoolean() ? 1L : 0L)));
        Json.MAPPER.writeValue(output, out);
    }
}
