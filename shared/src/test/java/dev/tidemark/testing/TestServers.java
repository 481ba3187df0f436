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
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real servers shared by all tests of one test run, started on first use and stopped when the JUnit run ends (they
 * are registered in the root extension store as closeable resources).
 */
public final class TestServers {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static PostgresServer postgres;
    private static MongoServer mongo;
    private static ElasticsearchServer elastic;
    private static S3Server s3;
    private static MotoServer moto;

    private TestServers() {
    }

    /** @return a fresh, unique name with the given prefix */
    public static String unique(String prefix) {
        return prefix + "_" + ProcessHandle.current().pid() + "_" + SEQ.incrementAndGet();
    }

    private static void register(ExtensionContext context, String key, AutoCloseable server) {
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
            .put(key, (ExtensionContext.Store.CloseableResource) server::close);
    }

    /** @param context any test's context @return the shared PostgreSQL server */
    public static synchronized PostgresServer postgres(ExtensionContext context) {
        if (postgres == null) {
            postgres = PostgresServer.start(null);
            register(context, "postgres", postgres);
        }
        return postgres;
    }

    /** @param context any test's context @return the shared MongoDB wire server */
    public static synchronized MongoServer mongo(ExtensionContext context) {
        if (mongo == null) {
            mongo = MongoServer.start(null);
            register(context, "mongo", mongo);
        }
        return mongo;
    }

    /** @param context any test's context @return the shared Elasticsearch node */
    public static synchronized ElasticsearchServer elastic(ExtensionContext context) {
        if (elastic == null) {
            try {
                elastic = ElasticsearchServer.start(Files.createTempDirectory("tidemark-es-test"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            register(context, "elastic", elastic);
        }
        return elastic;
    }

    /** @param context any test's context @return the shared S3 endpoint (in-memory) */
    public static synchronized S3Server s3(ExtensionContext context) {
        if (s3 == null) {
            s3 = S3Server.start(null);
            register(context, "s3", s3);
        }
        return s3;
    }

    /** @param context any test's context @return the shared moto server */
    public static synchronized MotoServer moto(ExtensionContext context) {
        if (moto == null) {
            moto = MotoServer.start();
            register(context, "moto", moto);
        }
        return moto;
    }

    /** @return a temporary directory */
    public static Path tempDir() {
        try {
            return Files.createTempDirectory("tidemark-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
