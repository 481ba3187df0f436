package dev.tidemark.bulk;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.config.AwsClients;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.config.TidemarkConfig;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.json.Json;
import dev.tidemark.location.LocationReader;
import dev.tidemark.migration.Placeholders;
import dev.tidemark.migration.Store;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;

/**
 * Runs one PostgreSQL export in its own JVM (the test starts it with a small {@code -Xmx}) and prints the manifest's
 * total rows and the JVM's peak heap use. Arguments: PostgreSQL port, database, S3 endpoint, bucket, destination, table.
 */
public final class SmallHeapExport {

    private SmallHeapExport() {
    }

    /** @param args port, database, S3 endpoint, bucket, destination, table, format */
    public static void main(String[] args) throws Exception {
        Map<String, String> env = Map.of("AWS_ENDPOINT_URL_S3", args[2], "AWS_ACCESS_KEY_ID", "tidemark-local", "AWS_SECRET_ACCESS_KEY",
            "tidemark-local-secret", "AWS_REGION", "us-east-1", "AWS_REQUEST_CHECKSUM_CALCULATION", "when_required",
            "AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required");
        S3Client s3 = new AwsClients(env).s3();
        String location = "filesystem:" + Files.createTempDirectory("tidemark-empty");
        TidemarkConfig config = new TidemarkConfig(List.of(new TargetConfig("pg", Store.POSTGRES, "pg", location, null)), 5, 60, 300,
            Placeholders.NONE);
        String secret = "{\"host\":\"127.0.0.1\",\"port\":" + args[0] + ",\"username\":\"postgres\",\"password\":\"trust\",\"dbname\":\"" + args[1] + "\"}";
        BulkService service = new BulkService(new EngineFactory(config, id -> secret, new LocationReader(() -> s3)), s3, args[3],
            new ContinuationCodec(() -> "small-heap-export-key-of-32-bytes-at-least".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        ObjectNode event = (ObjectNode) Json.MAPPER.readTree("{\"target\": \"pg\", \"source\": {\"table\": \"" + args[5] + "\"}, \"destination\": \""
            + args[4] + "\", \"format\": \"" + args[6] + "\", \"partSizeMb\": 32}");
        BulkService.BulkOutcome o = service.export(service.exportRequest(event), Budget.unlimited());
        long peak = java.lang.management.ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP).mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        System.out.println("rows=" + o.result().totalRecords() + " bytes=" + o.result().bytes() + " done=" + o.done() + " peakHeap=" + peak);
    }
}
