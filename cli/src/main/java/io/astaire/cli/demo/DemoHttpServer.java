package io.astaire.cli.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.astaire.cli.lab.LabNamespace;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The demo's web server in the server namespace: the JDK's HTTP server in this process (no
 * python3), serving {@code /blob.bin} (the random file the client downloads and checks byte for
 * byte) and {@code /index.html} from memory. Its socket is bound from a thread in the namespace.
 */
final class DemoHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService handlers;

    private DemoHttpServer(HttpServer server, ExecutorService handlers) {
        this.server = server;
        this.handlers = handlers;
    }

    /** Serves {@code files} (path to content) on {@code port} of every address of {@code ns}. */
    static DemoHttpServer start(LabNamespace ns, int port, Map<String, byte[]> files) {
        ExecutorService handlers = Executors.newFixedThreadPool(4, r -> Thread.ofPlatform().daemon().name("demo-http").unstarted(r));
        HttpServer server = ns.call(() -> {
            HttpServer s = HttpServer.create(new InetSocketAddress(port), 64);
            s.createContext("/", ex -> serve(ex, files));
            s.setExecutor(handlers);
            s.start(); // its dispatcher thread is created here, in the namespace
            return s;
        });
        return new DemoHttpServer(server, handlers);
    }

    private static void serve(HttpExchange ex, Map<String, byte[]> files) throws IOException {
        try (ex) {
            byte[] body = files.get(ex.getRequestURI().getPath());
            if (body == null) {
                byte[] missing = ("no " + ex.getRequestURI().getPath() + " here; try " + files.keySet() + "\n").getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(404, missing.length);
                ex.getResponseBody().write(missing);
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.sendResponseHeaders(200, ex.getRequestMethod().equals("HEAD") ? -1 : body.length);
            if (!ex.getRequestMethod().equals("HEAD")) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                } catch (IOException clientWentAway) {
                    // a throttled download cut short by the end of the demo: nothing to do
                }
            }
        } catch (UncheckedIOException e) {
            // the same, surfacing from the server's stream
        }
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }
}
