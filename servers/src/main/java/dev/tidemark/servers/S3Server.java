package dev.tidemark.servers;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * An S3-compatible endpoint in this JVM (S3Proxy) on {@code 127.0.0.1}, path-style, SigV4 with fixed test keys.
 */
public final class S3Server implements AutoCloseable {

    /** Access key id the server accepts. */
    public static final String ACCESS_KEY = "tidemark-local";
    /** Secret key the server accepts. */
    public static final String SECRET_KEY = "tidemark-local-secret";

    private final S3Proxy proxy;
    private final BlobStoreContext context;

    private S3Server(S3Proxy proxy, BlobStoreContext context) {
        this.proxy = proxy;
        this.context = context;
    }

    /**
     * @param directory a directory that keeps the buckets between runs; {@code null} keeps them in memory
     * @return the running server
     */
    public static S3Server start(Path directory) {
        try {
            Properties properties = new Properties();
            BlobStoreContext context;
            if (directory == null) {
                context = ContextBuilder.newBuilder("transient").overrides(properties).build(BlobStoreContext.class);
            } else {
                Files.createDirectories(directory);
                properties.setProperty("jclouds.filesystem.basedir", directory.toAbsolutePath().toString());
                context = ContextBuilder.newBuilder("filesystem").overrides(properties).build(BlobStoreContext.class);
            }
            S3Proxy proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .ignoreUnknownHeaders(true)
                .build();
            proxy.start();
            long deadline = System.currentTimeMillis() + 10_000;
            while (!proxy.getState().equals("STARTED") && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            return new S3Server(proxy, context);
        } catch (IOException e) {
            throw new IllegalStateException("S3Proxy did not start: " + e.getMessage(), e);
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not start: " + e.getMessage(), e);
        }
    }

    /** @return the endpoint, e.g. {@code http://127.0.0.1:40002} */
    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not stop cleanly", e);
        } finally {
            context.close();
        }
    }
}
