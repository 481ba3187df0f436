package dev.tidemark.opensearch;

import org.codelibs.opensearch.runner.OpenSearchRunner;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;

/**
 * Runs one OpenSearch node for tests, in its own process: {@code OpenSearchNode <home> <httpPort> <transportPort>}.
 * Binds 127.0.0.1 only, no security plugin, the runner's modules (reindex, painless, ...) loaded. Prints
 * {@code READY http://127.0.0.1:<port>} once the cluster is yellow, then runs until its standard input closes (the parent
 * that started it ended or closed it), and stops the node and deletes its home.
 */
public final class OpenSearchNode {

    private OpenSearchNode() {
    }

    /** @param args home directory, HTTP port, transport port */
    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: OpenSearchNode <home> <httpPort> <transportPort>");
            System.exit(2);
        }
        PrintStream out = System.out;
        OpenSearchRunner runner = new OpenSearchRunner();
        runner.onBuild((index, settings) -> {
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", args[1]);
            settings.put("transport.port", args[2]);
            settings.put("discovery.type", "single-node");
            settings.put("action.auto_create_index", "false");
        });
        runner.build(OpenSearchRunner.newConfigs().basePath(args[0]).numOfNode(1).clusterName("tidemark-test").disableESLogger());
        runner.ensureYellow();
        out.println("READY http://127.0.0.1:" + args[1]);
        out.flush();
        try (InputStream in = System.in) {
            while (in.read() >= 0) {
                // runs until the parent closes standard input
            }
        } finally {
            runner.close();
            runner.clean();
        }
        System.exit(0);
    }
}
