package dev.tidemark.functions.rollback;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.FunctionRuntime;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.json.Json;
import dev.tidemark.migration.MigrateResult;
import dev.tidemark.rollback.RollbackReport;
import dev.tidemark.rollback.RollbackRequest;
import dev.tidemark.rollback.RollbackService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.lambda.powertools.logging.PowertoolsLogging;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * Lambda handler of the rollback function. Input (see README, {@code events/rollback.json}):
 * <pre>{@code {"targets": [{"store": "postgres", "name": "app-db", "targetVersion": "5"}], "dryRun": false}}</pre>
 * or, from the rollout's compensation, the rollout's targets with {@code restore} (its preflight report) and
 * {@code failure} (the caught error): see {@link RollbackRequest}. Output: {@link RollbackReport} as JSON. Errors are
 * {@link dev.tidemark.error.TidemarkException} subclasses, reported to Step Functions by their fully qualified class
 * names ({@code dev.tidemark.error.RollbackIncompleteException} when a target could not be undone).
 */
public final class RollbackHandler implements RequestStreamHandler {

    private static final Logger LOG = LoggerFactory.getLogger(RollbackHandler.class);

    private final FunctionRuntime runtime;

    /** Lambda's constructor: configuration from the process environment. */
    public RollbackHandler() {
        this(System.getenv());
    }

    /** @param env environment variables (the local runtime passes each function's own) */
    public RollbackHandler(Map<String, String> env) {
        this.runtime = new FunctionRuntime(env);
    }

    /** Runs the function; errors leave with their code and retry decision ({@link FunctionRuntime#answer}). */
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        FunctionRuntime.answer(() -> handle(input, output, context));
    }

    private void handle(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = Json.readEvent(input);
        RollbackReport report = PowertoolsLogging.withLogging(context, () -> runtime.audited("rollback", event, context.getAwsRequestId(), () -> {
            EngineFactory engines = runtime.engines();
            RollbackRequest request = RollbackRequest.parse(event, engines.config());
            LOG.info("rollback of {} target(s), dryRun={}", request.targets().size(), request.dryRun());
            RollbackReport r = new RollbackService(engines).rollback(request);
            for (MigrateResult m : r.results()) {
                LOG.info("{} target {}: {} -> {}, {} undo migration(s), {}", m.store(), m.target(), m.versionBefore(), m.versionAfter(),
                    m.migrations().size(), m.status());
            }
            return r;
        }, r -> java.util.Map.of("undoMigrationsApplied", r.dryRun() ? 0L : r.results().stream().mapToLong(m -> m.migrations().size()).sum())));
        Json.MAPPER.writeValue(output, report);
    }
}
