package io.astaire.dataplane.node;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;

/** Reads a node's /metrics over HTTP and finds samples by name and labels. */
final class Metrics {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Metrics() {}

    static HttpResponse<String> get(InetSocketAddress server, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of sample {@code name} whose labels include {@code labels} (k, v, k, v ...); 0 when absent. */
    static double value(String text, String name, String... labels) {
        Map<String, String> want = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            want.put(labels[i], labels[i + 1]);
        }
        double total = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(name)) {
                continue;
            }
            String rest = line.substring(name.length());
            Map<String, String> have = new TreeMap<>();
            String valuePart;
            if (rest.startsWith("{")) {
                int close = rest.indexOf('}');
                for (String kv : rest.substring(1, close).split(",")) {
                    if (kv.isEmpty()) {
                        continue;
                    }
                    int eq = kv.indexOf('=');
                    have.put(kv.substring(0, eq), kv.substring(eq + 2, kv.length() - 1));
                }
                valuePart = rest.substring(close + 1).trim();
            } else if (rest.startsWith(" ")) {
                valuePart = rest.trim();
            } else {
                continue;
            }
            if (have.entrySet().containsAll(want.entrySet())) {
                total += Double.parseDouble(valuePart.split(" ")[0]);
                found = true;
            }
        }
        return found ? total : 0;
    }

    static double scrape(InetSocketAddress server, String name, String... labels) throws Exception {
        return value(get(server, "/metrics").body(), name, labels);
    }
}
