package dev.tidemark.functions.upgrade;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.FunctionRuntime;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.json.Json;
import dev.tidemark.migration.MigrateResult;
import dev.tidemark.upgrade.UpgradeReport;
import dev.tidemark.upgrade.UpgradeRequest;
import dev.tidemark.upgrade.UpgradeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.lambda.powertools.logging.PowertoolsLogging;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * Lambda handler of the upgrade function. Input (see README, {@code events/upgrade.json}):
 * <pre>{@code {"targets": [{"store": "postgres", "name": "app-db", "targetVersion": "latest"}], "dryRun": false}}</pre>
 * Output: {@link UpgradeReport} as JSON — per target the version before and after, the migrations applied with their
 * execution time in ms (in a dry run: the statements that would run), the status, and the lint findings. Every target
 * is linted first; unapproved errors stop the call ({@link dev.tidemark.error.LintFailedException}). With
 * {@code "operation": "repair"} it runs Flyway's repair instead ({@code events/repair.json}). Errors are thrown as {@link dev.tidemark.error.TidemarkException} subclasses,
 * which Lambda reports to Step Functions by their fully qualified class names. Configuration comes from the
 * environment ({@link dev.tidemark.config.TidemarkConfig}); credentials from Secrets Manager, cached. A backfill
 * migration runs batches until {@value #MARGIN_SECONDS} s before Lambda's timeout (or for at most
 * {@code TIDEMARK_BACKFILL_MAX_SECONDS_PER_CALL} seconds; 0 = one batch per call) and then answers {@code IN_PROGRESS};
 * the rollout state machine calls again until it is done.
 */
public final class UpgradeHandler implements RequestStreamHandler {

    private static final Logger LOG = LoggerFactory.getLogger(UpgradeHandler.class);

    /** Seconds kept free before Lambda's timeout for the batch in hand and the answer. */
    static final int MARGIN_SECONDS = 30;

    private final FunctionRuntime runtime;
    private final Integer maxSecondsPerCall;

    /** Lambda's constructor: configuration from the process environment. */
    public UpgradeHandler() {
        this(System.getenv());
    }

    /** @param env environment variables (the local runtime passes each function's own) */
    public UpgradeHandler(Map<String, String> env) {
        this.runtime = new FunctionRuntime(env);
        String max = env.get("TIDEMARK_BACKFILL_MAX_SECONDS_PER_CALL");
        if (max != null && !max.isBlank() && !max.strip().matches("\\d{1,4}")) {
            throw new dev.tidemark.error.ValidationException("TIDEMARK_BACKFILL_MAX_SECONDS_PER_CALL: expected whole seconds, 0 to 9999");
        }
        this.maxSecondsPerCall = max == null || max.isBlank() ? null : Integer.valueOf(max.strip());
    }

    /** Runs the function; errors leave with their code and retry decision ({@link FunctionRuntime#answer}). */
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        FunctionRuntime.answer(() -> handle(input, output, context));
    }

    private void handle(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = Json.readEvent(input);
        String operation = "repair".equals(event == null ? null : event.path("operation").asText(null)) ? "repair" : "upgrade";
        UpgradeReport report = PowertoolsLogging.withLogging(context, () -> runtime.audited(operation, event, context.getAwsRequestId(), () -> {
            EngineFactory engines = runtime.engines();
            UpgradeRequest request = UpgradeRequest.parse(event, engines.config());
            LOG.info("upgrade of {} target(s), dryRun={}", request.targets().size(), request.dryRun());
            dev.tidemark.bulk.Budget budget = dev.tidemark.bulk.Budget.forLambda(context == null ? 900_000 : context.getRemainingTimeInMillis(),
                MARGIN_SECONDS, maxSecondsPerCall);
            UpgradeReport r = new UpgradeService(engines).upgrade(request, budget::softPassed);
            for (MigrateResult m : r.results()) {
                LOG.info("{} target {}: {} -> {}, {} migration(s), {}", m.store(), m.target(), m.versionBefore(), m.versionAfter(),
                    m.migrations().size(), m.status());
                if (m.backfill() != null) {
                    LOG.info("{} target {}: backfill {}: {} of ~{} rows in {} batches, {} rows/s{}", m.store(), m.target(), m.backfill().script(),
                        m.backfill().done(), m.backfill().estimated(), m.backfill().batches(), m.backfill().perSecond(),
                        m.backfill().finished() ? ", finished" : ", continues");
                }
            }
            return r;
        }, r -> java.util.Map.of("migrationsApplied", r.dryRun() ? 0L : r.results().stream().mapToLong(m -> m.migrations().size()).sum())));
        Json.MAPPER.writeValue(output, report);
    }
}
