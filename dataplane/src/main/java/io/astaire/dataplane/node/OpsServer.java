package io.astaire.dataplane.node;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The node's operations endpoint: {@code GET /metrics} (Prometheus text), {@code /healthz} (200
 * while the process runs), {@code /readyz} (200 once sockets are bound and a topology applied,
 * else 503). Served by the JDK's HTTP server on one small thread, away from the workers.
 */
public final class OpsServer implements AutoCloseable {

    private final HttpServer server;

    public OpsServer(InetSocketAddress listen, Supplier<String> metrics, BooleanSupplier ready, Supplier<String> readyDetail) {
        try {
            server = HttpServer.create(listen, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("--metrics-listen " + listen + ": cannot bind: " + e.getMessage()
                    + " (several nodes on one host each need their own --metrics-listen, or 'none')", e);
        }
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "astaire-ops-http");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/metrics", ex -> {
            if (!allowGet(ex)) {
                return;
            }
            respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
        });
        server.createContext("/healthz", ex -> {
            if (allowGet(ex)) {
                respond(ex, 200, "text/plain; charset=utf-8", "ok\n");
            }
        });
        server.createContext("/readyz", ex -> {
            if (allowGet(ex)) {
                boolean ok = ready.getAsBoolean();
                respond(ex, ok ? 200 : 503, "text/plain; charset=utf-8", (ok ? "ready" : "not ready: " + readyDetail.get()) + "\n");
            }
        });
        server.createContext("/", ex -> respond(ex, 404, "text/plain; charset=utf-8",
                "unknown path " + ex.getRequestURI().getPath() + "; try /metrics, /healthz or /readyz\n"));
        server.start();
    }

    /** Serves {@code GET path} with what {@code body} gives, as JSON. */
    public void json(String path, Supplier<String> body) {
        server.createContext(path, ex -> {
            if (allowGet(ex)) {
                respond(ex, 200, "application/json; charset=utf-8", body.get());
            }
        });
    }

    private static boolean allowGet(HttpExchange ex) throws IOException {
        String m = ex.getRequestMethod();
        if (m.equals("GET") || m.equals("HEAD")) {
            return true;
        }
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(ex, 405, "text/plain; charset=utf-8", "method " + m + " not allowed; use GET\n");
        return false;
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
        ex.close();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
