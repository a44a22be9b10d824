package io.astaire.cli.demo;

import io.astaire.cli.lab.LabNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes the demo's controller, which lives in its own network namespace, reachable from a browser
 * on this machine: listens on {@code 127.0.0.1:port} in the demo's own (the host's) namespace and
 * relays each connection, byte for byte, to the controller. The upstream sockets are opened by a
 * thread that entered the controller's namespace (a socket belongs to the namespace of the thread
 * that creates it); once connected, any thread may copy between them. Nothing is created outside
 * the demo's namespaces but this listening socket, which closes with the demo.
 */
public final class UiRelay implements AutoCloseable {
    private static final int CONNECT_MILLIS = 3000;
    /** A browser opens a handful; this bounds what a runaway local client can make the demo hold. */
    private static final int MAX_CONNECTIONS = 64;

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    /** One platform thread in the controller's namespace, so every upstream socket is created there. */
    private final ExecutorService connector;
    private final ExecutorService copiers = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final Thread acceptor;
    private volatile boolean closed;

    private UiRelay(ServerSocket listener, ThreadFactory upstreamThreads, InetSocketAddress upstream) {
        this.listener = listener;
        this.upstream = upstream;
        this.connector = Executors.newSingleThreadExecutor(upstreamThreads);
        this.acceptor = Thread.ofPlatform().daemon().name("ui-relay-accept").unstarted(this::acceptLoop);
    }

    /**
     * Binds {@code 127.0.0.1:port} (0: any free port) in the calling thread's namespace, which must
     * be the host's; call before building anything, so a port in use fails fast.
     *
     * @throws PortInUse when the port is taken
     */
    public static ServerSocket bind(int port) {
        ServerSocket s = null;
        try {
            s = new ServerSocket();
            s.setReuseAddress(true); // a demo restarted right after the last one finds its port again
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            return s;
        } catch (IOException e) {
            closeQuietly(s);
            throw new PortInUse(port, e);
        }
    }

    /** Starts relaying connections of {@code listener} to {@code upstream} inside {@code upstreamNamespace}. */
    public static UiRelay start(ServerSocket listener, LabNamespace upstreamNamespace, InetSocketAddress upstream) {
        return start(listener, upstreamNamespace.threads("ui-relay-connect"), upstream);
    }

    /** As above, with upstream sockets created by threads of {@code upstreamThreads} (in the namespace they entered). */
    static UiRelay start(ServerSocket listener, ThreadFactory upstreamThreads, InetSocketAddress upstream) {
        UiRelay relay = new UiRelay(listener, upstreamThreads, upstream);
        relay.acceptor.start();
        return relay;
    }

    /** The port browsers connect to. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Why the relay's port cannot be had. */
    public static final class PortInUse extends RuntimeException {
        PortInUse(int port, IOException cause) {
            super("cannot listen on 127.0.0.1:" + port + " for the web view (" + cause.getMessage()
                    + "): pick another port with --ui-port N (0: any free one)", cause);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (connections.incrementAndGet() > MAX_CONNECTIONS) {
                connections.decrementAndGet();
                closeQuietly(client);
                continue;
            }
            copiers.submit(() -> {
                try {
                    relay(client);
                } finally {
                    connections.decrementAndGet();
                }
            });
        }
    }

    private void relay(Socket client) {
        open.add(client);
        Socket server = null;
        try {
            Future<Socket> connecting = connector.submit(() -> {
                Socket s = new Socket();
                s.connect(upstream, CONNECT_MILLIS);
                return s;
            });
            server = connecting.get(CONNECT_MILLIS + 1000L, TimeUnit.MILLISECONDS);
            open.add(server);
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
            Socket s = server;
            Future<?> up = copiers.submit(() -> copy(client, s));
            copy(s, client);
            up.get();
        } catch (Exception e) {
            // The controller is down or restarting: the browser sees the connection close and says so.
        } finally {
            closeQuietly(client);
            closeQuietly(server);
            open.remove(client);
            if (server != null) {
                open.remove(server);
            }
        }
    }

    /** Copies until {@code from} ends, then ends {@code to}'s output, so HTTP keep-alive and half-close behave. */
    private static void copy(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(listener);
        for (Socket s : open) {
            closeQuietly(s);
        }
        connector.shutdownNow();
        copiers.shutdownNow();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
