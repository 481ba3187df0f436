package dev.tidemark.testing;

import dev.tidemark.servers.ElasticsearchServer;
import dev.tidemark.servers.MongoServer;
import dev.tidemark.servers.MotoServer;
import dev.tidemark.servers.PostgresServer;
import dev.tidemark.servers.S3Server;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Real servers shared by all tests of one test run, started on first use and stopped when the JUnit run ends: each is
 * held in the root extension store as a closeable resource.
 */
public final class TestServers {

    private static final AtomicInteger SEQ = new AtomicInteger();

    private TestServers() {
    }

    /** @return a fresh, unique name with the given prefix */
    public static String unique(String prefix) {
        return prefix + "_" + ProcessHandle.current().pid() + "_" + SEQ.incrementAndGet();
    }

    /** A started server, closed by JUnit when the run ends. */
    private record Started(AutoCloseable server) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() throws Exception {
            server.close();
        }
    }

    private static <T extends AutoCloseable> T shared(ExtensionContext context, Class<T> type, Supplier<T> start) {
        Started started = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
            .getOrComputeIfAbsent(type, key -> new Started(start.get()), Started.class);
        return type.cast(started.server());
    }

    /** @param context any test's context @return the shared PostgreSQL server */
    public static PostgresServer postgres(ExtensionContext context) {
        return shared(context, PostgresServer.class, () -> PostgresServer.start(null));
    }

    /** @param context any test's context @return the shared MongoDB wire server */
    public static MongoServer mongo(ExtensionContext context) {
        return shared(context, MongoServer.class, () -> MongoServer.start(null));
    }

    /** @param context any test's context @return the shared Elasticsearch node */
    public static ElasticsearchServer elastic(ExtensionContext context) {
        return shared(context, ElasticsearchServer.class, () -> {
            try {
                return ElasticsearchServer.start(Files.createTempDirectory("tidemark-es-test"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** @param context any test's context @return the shared OpenSearch node (its own JVM; reindex module, painless) */
    public static dev.tidemark.servers.OpenSearchServer openSearch(ExtensionContext context) {
        return shared(context, dev.tidemark.servers.OpenSearchServer.class, dev.tidemark.servers.OpenSearchServer::start);
    }

    /** @param context any test's context @return the shared S3 endpoint (in-memory) */
    public static S3Server s3(ExtensionContext context) {
        return shared(context, S3Server.class, () -> S3Server.start(null));
    }

    /**
     * @param server the S3 endpoint
     * @param bucket a bucket the test uses, created when missing
     * @return a client on the endpoint with the local credentials (checksums only when required, as S3Proxy wants them)
     */
    public static software.amazon.awssdk.services.s3.S3Client s3Client(S3Server server, String bucket) {
        var s3 = new dev.tidemark.config.AwsClients(java.util.Map.of("AWS_ENDPOINT_URL_S3", server.endpoint(), "AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY, "AWS_REGION", "us-east-1", "AWS_REQUEST_CHECKSUM_CALCULATION", "when_required",
            "AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")).s3();
        if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
            s3.createBucket(b -> b.bucket(bucket));
        }
        return s3;
    }

    /** @param context any test's context @return the shared moto server */
    public static MotoServer moto(ExtensionContext context) {
        return shared(context, MotoServer.class, MotoServer::start);
    }
}
