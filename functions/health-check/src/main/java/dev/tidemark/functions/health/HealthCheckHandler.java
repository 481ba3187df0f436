package dev.tidemark.functions.health;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.FunctionRuntime;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.error.ValidationException;
import dev.tidemark.health.HealthChecker;
import dev.tidemark.health.HealthReport;
import dev.tidemark.health.HealthStatus;
import dev.tidemark.health.TargetHealth;
import dev.tidemark.json.Json;
import dev.tidemark.upgrade.EventFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.lambda.powertools.logging.PowertoolsLogging;
import software.amazon.lambda.powertools.metrics.Metrics;
import software.amazon.lambda.powertools.metrics.MetricsFactory;
import software.amazon.lambda.powertools.metrics.model.DimensionSet;
import software.amazon.lambda.powertools.metrics.model.MetricUnit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Lambda handler of the health-check function, run by the EventBridge schedule and by the rollout state machine.
 * Input: an EventBridge scheduled event (checks every target) or {@code {"targets": ["app-db", ...]}}. Output:
 * {@link HealthReport} as JSON. Emits CloudWatch metrics in Embedded Metric Format through Powertools (namespace from
 * {@code POWERTOOLS_METRICS_NAMESPACE}, default {@code Tidemark}): per target (dimensions {@code Target},
 * {@code Store}) {@code Healthy} (1/0), {@code LatencyMs}, {@code PendingMigrations}, {@code FailedMigrations},
 * {@code ChecksumDrift}; overall {@code UnhealthyTargets}.
 */
public final class HealthCheckHandler implements RequestStreamHandler {

    private static final Logger LOG = LoggerFactory.getLogger(HealthCheckHandler.class);

    private final FunctionRuntime runtime;

    /** Lambda's constructor: configuration from the process environment. */
    public HealthCheckHandler() {
        this(System.getenv());
    }

    /** @param env environment variables (the local runtime passes each function's own) */
    public HealthCheckHandler(Map<String, String> env) {
        this.runtime = new FunctionRuntime(env);
    }

    /** Runs the function; errors leave with their code and retry decision ({@link FunctionRuntime#answer}). */
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        FunctionRuntime.answer(() -> handle(input, output, context));
    }

    private void handle(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = Json.readEvent(input);
        HealthReport report = PowertoolsLogging.withLogging(context, () -> {
            EngineFactory engines = runtime.engines();
            List<String> names = targetNames(event, engines.config());
            HealthReport r = new HealthChecker(engines).check(names);
            LOG.info("health {} over {} target(s)", r.status().id(), r.targets().size());
            emitMetrics(r, context);
            return r;
        });
        Json.MAPPER.writeValue(output, report);
    }

    /** Fields of an EventBridge event (EventBridge's event structure) besides {@code targets}. */
    private static final java.util.Set<String> FIELDS = java.util.Set.of("targets", "version", "id", "detail-type", "source", "account",
        "time", "region", "resources", "detail", "replay-name");

    static List<String> targetNames(JsonNode event, TidemarkConfig config) {
        if (event == null || event.isMissingNode() || event.isNull()) {
            return List.of();
        }
        if (!event.isObject()) {
            throw new ValidationException("event: expected an EventBridge event or {\"targets\": [names]}");
        }
        EventFields.unknown(event, FIELDS, "");
        JsonNode targets = event.get("targets");
        if (targets == null || targets.isNull()) {
            return List.of();
        }
        if (!targets.isArray() || targets.isEmpty() || targets.size() > EventFields.MAX_TARGETS) {
            throw new ValidationException("targets: expected an array of 1 to " + EventFields.MAX_TARGETS
                + " target names (omit it to check every target)");
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            JsonNode n = targets.get(i);
            String field = "targets[" + i + "]";
            if (!n.isTextual()) {
                throw new ValidationException(field + ": expected a target name (a string), got " + EventFields.kind(n));
            }
            String name = EventFields.checked(n.asText(), field, 64, false);
            if (config.target(name).isEmpty()) {
                throw new ValidationException(field + ": unknown target; configured targets: " + String.join(", ", config.targetNames()));
            }
            if (names.contains(name)) {
                throw new ValidationException(field + ": target '" + name + "' is listed twice");
            }
            names.add(name);
        }
        return names;
    }

    private void emitMetrics(HealthReport report, Context context) {
        Metrics metrics = MetricsFactory.getMetricsInstance();
        metrics.setNamespace(runtime.env().getOrDefault("POWERTOOLS_METRICS_NAMESPACE", "Tidemark"));
        for (TargetHealth t : report.targets()) {
            metrics.flushMetrics(m -> {
                m.setNamespace(runtime.env().getOrDefault("POWERTOOLS_METRICS_NAMESPACE", "Tidemark"));
                m.setDefaultDimensions(DimensionSet.of("Target", t.name(), "Store", t.store().id()));
                m.addMetric("Healthy", t.status() == HealthStatus.HEALTHY ? 1 : 0, MetricUnit.COUNT);
                if (t.latencyMs() != null) {
                    m.addMetric("LatencyMs", t.latencyMs(), MetricUnit.MILLISECONDS);
                }
                m.addMetric("PendingMigrations", t.pending(), MetricUnit.COUNT);
                m.addMetric("FailedMigrations", t.failed(), MetricUnit.COUNT);
                m.addMetric("ChecksumDrift", t.checksumDrift().size(), MetricUnit.COUNT);
            });
        }
        metrics.addMetric("UnhealthyTargets", report.targets().stream().filter(t -> t.status() == HealthStatus.UNHEALTHY).count(),
            MetricUnit.COUNT);
        metrics.flush();
    }
}
