package dev.tidemark.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.bulk.Budget;
import dev.tidemark.bulk.BulkService;
import dev.tidemark.config.AwsClients;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.json.Json;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.Placeholders;
import dev.tidemark.migration.Store;
import software.amazon.awssdk.services.s3.S3Client;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

/**
 * One Tidemark bulk export or import in its own JVM, as a Lambda execution environment runs it: an init (JVM start,
 * configuration, the S3 client built, {@link BulkService#prime()}: what the functions' constructors do, and what
 * SnapStart's snapshot holds), then
 * one invocation. Prints {@code init-ms=} and {@code invocation-ms=} so that both can be measured from outside.
 * Arguments: {@code export|import}, store, connection secret JSON, S3 endpoint, bucket, event JSON (target {@code t}).
 */
public final class BulkCli {

    private BulkCli() {
    }

    /** @param args operation, store, secret, S3 endpoint, bucket, event */
    public static void main(String[] args) throws Exception {
        Map<String, String> env = Map.of("AWS_ENDPOINT_URL_S3", args[3], "AWS_ACCESS_KEY_ID", "tidemark-local", "AWS_SECRET_ACCESS_KEY",
            "tidemark-local-secret", "AWS_REGION", "us-east-1", "AWS_REQUEST_CHECKSUM_CALCULATION", "when_required",
            "AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required");
        S3Client s3 = new AwsClients(env).s3();
        BulkService.prime();
        String location = "filesystem:" + Files.createTempDirectory("tidemark-empty");
        TidemarkConfig config = new TidemarkConfig(List.of(new TargetConfig("t", Store.of(args[1]), "t", location, null)), 5, 60, 300,
            Placeholders.NONE);
        BulkService service = new BulkService(new EngineFactory(config, id -> args[2], new LocationReader(() -> s3)), s3, args[4],
            new dev.tidemark.bulk.ContinuationCodec(() -> "bench-continuation-key-of-32-bytes-at-least".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        long init = System.currentTimeMillis();
        ObjectNode event = (ObjectNode) Json.MAPPER.readTree(args[5]);
        BulkService.BulkOutcome o = args[0].equals("export") ? service.export(service.exportRequest(event), Budget.unlimited())
            : service.importData(service.importRequest(event), Budget.unlimited());
        long end = System.currentTimeMillis();
        System.out.println("records=" + o.result().totalRecords() + " bytes=" + o.result().bytes() + " done=" + o.done());
        System.out.println("init-ms=" + (init - ManagementFactory.getRuntimeMXBean().getStartTime()) + " invocation-ms=" + (end - init));
    }
}
