package io.astaire.dataplane.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The operations endpoint every node serves: {@code GET /metrics} (Prometheus text),
 * {@code /healthz} (200 while the process runs), {@code /readyz} (200 once ready, else 503). The
 * JDK's HTTP server on one platform thread: far from the packet path.
 */
public final class OpsHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    private OpsHttpServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    public static OpsHttpServer start(InetSocketAddress listen, Supplier<String> metrics, BooleanSupplier ready) {
        HttpServer server;
        try {
            server = HttpServer.create(listen, 16);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serve metrics on " + listen + ": " + e.getMessage()
                    + " (choose another --metrics-listen)", e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "astaire-ops-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", x -> respond(x, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
        server.createContext("/healthz", x -> respond(x, 200, "text/plain", "ok\n"));
        server.createContext("/readyz", x -> {
            boolean ok = ready.getAsBoolean();
            respond(x, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
        server.createContext("/", x -> respond(x, 404, "text/plain", "not found: try /metrics, /healthz, /readyz\n"));
        server.start();
        return new OpsHttpServer(server, executor);
    }

    private static void respond(HttpExchange x, int status, String type, String body) throws IOException {
        try (x) {
            if (!x.getRequestMethod().equals("GET") && !x.getRequestMethod().equals("HEAD")) {
                status = 405;
                body = "method " + x.getRequestMethod() + " not allowed: use GET\n";
                type = "text/plain";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", type);
            boolean head = x.getRequestMethod().equals("HEAD");
            x.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = x.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
