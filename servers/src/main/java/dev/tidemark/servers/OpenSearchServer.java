package dev.tidemark.servers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An OpenSearch 3.8 node with the reindex module ({@code _delete_by_query}) on {@code 127.0.0.1}, for the tests of what
 * the Elasticsearch node here lacks. It runs in a child JVM ({@code opensearch/}, {@code dev.tidemark.opensearch.OpenSearchNode}):
 * its Lucene 10 cannot share a JVM with the Elasticsearch node's Lucene 9. The child's classpath is
 * {@code opensearch/target/runtime.classpath}, written when that module compiles (it precedes {@code shared} in the
 * reactor). {@link #close()} closes the child's standard input, which stops the node and deletes its home.
 */
public final class OpenSearchServer implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path home;

    private OpenSearchServer(Process process, int port, Path home) {
        this.process = process;
        this.port = port;
        this.home = home;
    }

    /**
     * @return the started node, its cluster yellow
     * @throws IllegalStateException when the module is not built or the node does not come up within 120 s
     */
    public static OpenSearchServer start() {
        Path module = module();
        Path classpath = module.resolve("target/runtime.classpath");
        try {
            Path home = Files.createTempDirectory("tidemark-opensearch");
            int port = MotoServer.freePort();
            int transport = MotoServer.freePort();
            String javaBin = ProcessHandle.current().info().command().orElse("java");
            Process process = new ProcessBuilder(List.of(javaBin, "-Xms256m", "-Xmx512m", "-cp",
                module.resolve("target/classes") + java.io.File.pathSeparator + Files.readString(classpath).strip(),
                "dev.tidemark.opensearch.OpenSearchNode", home.toString(), Integer.toString(port), Integer.toString(transport)))
                .redirectErrorStream(true)
                .start();
            OpenSearchServer server = new OpenSearchServer(process, port, home);
            CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
                StringBuilder seen = new StringBuilder();
                try {
                    BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                    String line;
                    while ((line = reader.readLine()) != null) {
                        if (line.startsWith("READY ")) {
                            // keep draining the child's output so that it never blocks on a full pipe
                            Thread drain = new Thread(() -> {
                                try {
                                    while (reader.readLine() != null) {
                                        // discarded
                                    }
                                } catch (IOException ignored) {
                                    // the child ended
                                }
                            }, "opensearch-output");
                            drain.setDaemon(true);
                            drain.start();
                            return line.substring("READY ".length());
                        }
                        if (seen.length() < 20_000) {
                            seen.append(line).append('\n');
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                throw new IllegalStateException("the OpenSearch node exited before it was ready:\n" + seen);
            });
            try {
                ready.get(120, TimeUnit.SECONDS);
                return server;
            } catch (Exception e) {
                server.close();
                throw new IllegalStateException("the OpenSearch node did not come up: " + e.getMessage(), e);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the OpenSearch node (build opensearch/ first: ./mvnw install): " + e.getMessage(), e);
        }
    }

    private static Path module() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("opensearch/target/runtime.classpath");
            if (Files.isRegularFile(candidate)) {
                return dir.resolve("opensearch");
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("opensearch/target/runtime.classpath not found above " + Path.of("").toAbsolutePath()
            + ": build the opensearch module first (./mvnw install)");
    }

    /** @return e.g. {@code http://127.0.0.1:40123} */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try (var walk = Files.walk(home)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // the node's clean() removed it
        }
    }
}
