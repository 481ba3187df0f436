package dev.tidemark.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on {@code 127.0.0.1} in front of one server, for fault tests: {@link #freeze()} holds every byte in both
 * directions (as a network partition does to a holder's connections, heartbeat included) until {@link #thaw()}, which
 * delivers them late; {@link #resetAll()} drops every open connection as a server restart does. Stopped by
 * {@link #close()}.
 */
public final class FreezingProxy implements AutoCloseable {

    private final ServerSocket server;
    private final String upstreamHost;
    private final int upstreamPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean frozen;
    private volatile boolean closed;

    /**
     * @param upstreamHost the server's host (loopback)
     * @param upstreamPort the server's port
     */
    public FreezingProxy(String upstreamHost, int upstreamPort) {
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        try {
            server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofPlatform().daemon().name("freezing-proxy-accept").start(this::accept);
    }

    /** @return the port clients connect to */
    public int port() {
        return server.getLocalPort();
    }

    /** Holds every byte from now on, in both directions. */
    public void freeze() {
        frozen = true;
    }

    /** Resets every open connection, as a server restart does; new connections are accepted as before. */
    public void resetAll() {
        List<Socket> open = List.copyOf(sockets);
        sockets.removeAll(open);
        open.forEach(FreezingProxy::quietly);
    }

    /** Delivers what was held and lets traffic flow again. */
    public void thaw() {
        frozen = false;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(upstreamHost, upstreamPort), 5000);
                sockets.add(client);
                sockets.add(upstream);
                Thread.ofPlatform().daemon().name("freezing-proxy-up").start(() -> pump(client, upstream));
                Thread.ofPlatform().daemon().name("freezing-proxy-down").start(() -> pump(upstream, client));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                while (frozen && !closed) {
                    Thread.sleep(5);
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // a side closed: close both
        } finally {
            quietly(from);
            quietly(to);
        }
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        frozen = false;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        sockets.forEach(FreezingProxy::quietly);
    }
}
