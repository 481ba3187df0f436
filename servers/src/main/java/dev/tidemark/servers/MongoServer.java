package dev.tidemark.servers;

import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A MongoDB wire-protocol server in this JVM (mongo-java-server) on {@code 127.0.0.1} and a free port. Not a real
 * mongod: no {@code collMod}, no validator enforcement, no transactions; see the README for what is verified where.
 */
public final class MongoServer implements AutoCloseable {

    private final de.bwaldvogel.mongo.MongoServer server;
    private final H2Backend h2;
    private final String uri;

    private MongoServer(de.bwaldvogel.mongo.MongoServer server, H2Backend h2, int port) {
        this.server = server;
        this.h2 = h2;
        server.bind("127.0.0.1", port);
        this.uri = "mongodb://127.0.0.1:" + server.getLocalAddress().getPort();
    }

    /**
     * @param storeFile an H2 MVStore file that keeps the data between runs; {@code null} keeps it in memory
     * @return the running server
     */
    public static MongoServer start(Path storeFile) {
        return start(storeFile, 0);
    }

    /**
     * @param storeFile an H2 MVStore file that keeps the data between runs; {@code null} keeps it in memory
     * @param port the port on 127.0.0.1; 0 for a free one (a server started again on the same file and port is a restart)
     * @return the running server
     */
    public static MongoServer start(Path storeFile, int port) {
        if (storeFile == null) {
            return new MongoServer(new de.bwaldvogel.mongo.MongoServer(new MemoryBackend()), null, port);
        }
        try {
            Files.createDirectories(storeFile.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new IllegalStateException("cannot create " + storeFile.getParent(), e);
        }
        H2Backend backend = new H2Backend(storeFile.toString());
        return new MongoServer(new de.bwaldvogel.mongo.MongoServer(backend), backend, port);
    }

    /** @return a connection string without database, e.g. {@code mongodb://127.0.0.1:40001} */
    public String uri() {
        return uri;
    }

    @Override
    public void close() {
        server.shutdownNow();
        if (h2 != null) {
            h2.close();
        }
    }
}
