package io.astaire.cli.lab;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A plain HTTP GET made from inside a lab namespace by this process (no curl): a node's
 * {@code /metrics} or {@code /readyz} at {@code 127.0.0.1} of its namespace, the controller's
 * {@code /healthz}. The connection is opened on the namespace's thread, so it is the namespace's.
 */
public final class LabHttp {

    /** The status and body of an answer; status -1 and the problem as body when there was none. */
    public record Answer(int status, String body) {
        public boolean ok() {
            return status == 200;
        }
    }

    private LabHttp() {}

    /** GET {@code url} from inside {@code ns}, giving up after {@code timeout} (connect and read each). */
    public static Answer get(LabNamespace ns, String url, Duration timeout) {
        return ns.call(() -> {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            c.setUseCaches(false);
            // No keep-alive: the JDK pools connections by host and port, and every node's ops server is
            // 127.0.0.1:9090 of its own namespace, so a pooled connection would answer for another node.
            c.setRequestProperty("Connection", "close");
            try {
                int status = c.getResponseCode();
                try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                    return new Answer(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                return new Answer(-1, e.toString());
            } finally {
                c.disconnect();
            }
        });
    }
}
