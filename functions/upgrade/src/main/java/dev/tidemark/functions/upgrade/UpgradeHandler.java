package dev.tidemark.functions.upgrade;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.AwsClients;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.error.ValidationException;
import dev.tidemark.json.Json;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.MigrateResult;
import dev.tidemark.secrets.PowertoolsSecretsSource;
import dev.tidemark.upgrade.UpgradeReport;
import dev.tidemark.upgrade.UpgradeRequest;
import dev.tidemark.upgrade.UpgradeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.lambda.powertools.logging.PowertoolsLogging;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * Lambda handler of the upgrade function. Input (see README, {@code events/upgrade.json}):
 * <pre>{@code {"targets": [{"store": "postgres", "name": "app-db", "targetVersion": "latest"}], "dryRun": false}}</pre>
 * Output: {@link UpgradeReport} as JSON — per target the version before and after, the migrations applied with their
 * execution time in ms, and the status. Errors are thrown as {@link dev.tidemark.error.TidemarkException} subclasses,
 * which Lambda reports to Step Functions by their fully qualified class names. Configuration comes from the
 * environment ({@link TidemarkConfig}); credentials from Secrets Manager, cached.
 */
public final class UpgradeHandler implements RequestStreamHandler {

    private static final Logger LOG = LoggerFactory.getLogger(UpgradeHandler.class);

    private final Map<String, String> env;
    private final AwsClients aws;
    private final PowertoolsSecretsSource secrets;
    private volatile S3Client s3;

    /** Lambda's constructor: configuration from the process environment. */
    public UpgradeHandler() {
        this(System.getenv());
    }

    /** @param env environment variables (the local runtime passes each function's own) */
    public UpgradeHandler(Map<String, String> env) {
        this.env = Map.copyOf(env);
        this.aws = new AwsClients(env);
        this.secrets = new PowertoolsSecretsSource(aws.secretsManager(), secretCacheSeconds(env));
    }

    private static int secretCacheSeconds(Map<String, String> env) {
        try {
            return Integer.parseInt(env.getOrDefault("TIDEMARK_SECRET_CACHE_SECONDS", "300"));
        } catch (NumberFormatException e) {
            return 300;
        }
    }

    private S3Client s3() {
        S3Client c = s3;
        if (c == null) {
            synchronized (this) {
                if (s3 == null) {
                    s3 = aws.s3();
                }
                c = s3;
            }
        }
        return c;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = readEvent(input);
        UpgradeReport report = PowertoolsLogging.withLogging(context, () -> {
            TidemarkConfig config = TidemarkConfig.fromEnvironment(env);
            UpgradeRequest request = UpgradeRequest.parse(event, config);
            LOG.info("upgrade of {} target(s), dryRun={}", request.targets().size(), request.dryRun());
            EngineFactory engines = new EngineFactory(config, secrets, new LocationReader(this::s3));
            UpgradeReport r = new UpgradeService(engines).upgrade(request);
            for (MigrateResult m : r.results()) {
                LOG.info("{} target {}: {} -> {}, {} migration(s), {}", m.store(), m.target(), m.versionBefore(), m.versionAfter(),
                    m.migrations().size(), m.status());
            }
            return r;
        });
        Json.MAPPER.writeValue(output, report);
    }

    static JsonNode readEvent(InputStream input) throws IOException {
        try {
            return Json.MAPPER.readTree(input);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ValidationException("event: not valid JSON: " + e.getOriginalMessage());
        }
    }
}
