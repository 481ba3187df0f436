package dev.tidemark.servers;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.EmbeddedNode;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A real single-node Elasticsearch cluster in this JVM with its HTTP API on {@code 127.0.0.1} and a free port.
 * Modules that are not published to Maven Central (reindex, painless, analysis-common, rest-root) are absent.
 */
public final class ElasticsearchServer implements AutoCloseable {

    private static boolean loggingConfigured;

    private final Node node;
    private final String url;

    private ElasticsearchServer(Node node, String url) {
        this.node = node;
        this.url = url;
    }

    /**
     * Starts a node whose data lives under {@code home}; a node started again on the same home finds its indices.
     *
     * @param home directory for the node's data, logs and config (created if missing)
     * @return the started node
     */
    public static ElasticsearchServer start(Path home) {
        return start(home, 0);
    }

    /**
     * @param home directory for the node's data, logs and config (created if missing)
     * @param httpPort the HTTP port on 127.0.0.1; 0 for a free one (a node started again on the same home and port is a
     *                 restart)
     * @return the started node
     */
    public static ElasticsearchServer start(Path home, int httpPort) {
        try {
            Files.createDirectories(home.resolve("config"));
            configureLogging();
            Settings settings = Settings.builder()
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("cluster.name", "tidemark-local")
                .put("node.name", "tidemark-local-node")
                .put("discovery.type", "single-node")
                .put("network.host", "127.0.0.1")
                .put("http.port", Integer.toString(httpPort))
                .put("transport.port", "0")
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("indices.id_field_data.enabled", true)
                .build();
            Node node = new EmbeddedNode(new Environment(settings, home.resolve("config")), List.of(new Netty4Plugin(), new RootInfoPlugin()));
            node.start();
            var address = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
            return new ElasticsearchServer(node, "http://127.0.0.1:" + address.getPort());
        } catch (Exception e) {
            throw new IllegalStateException("Elasticsearch node did not start under " + home + ": " + e.getMessage(), e);
        }
    }

    private static synchronized void configureLogging() {
        if (!loggingConfigured) {
            org.elasticsearch.common.logging.LogConfigurator.configureESLogging();
            // Netty's processor count may already be fixed by another Netty user in this JVM (mongo-java-server).
            System.setProperty("es.set.netty.runtime.available.processors", "false");
            loggingConfigured = true;
        }
    }

    /** @return the HTTP base URL, e.g. {@code http://127.0.0.1:41234} */
    public String url() {
        return url;
    }

    @Override
    public void close() {
        try {
            node.close();
            node.awaitClose(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("Elasticsearch node did not stop cleanly", e);
        }
    }
}
