package io.astaire.controller;

import com.fasterxml.jackson.databind.JsonNode;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * The controller as the {@code astaire} operations commands see it: a base URL, an optional write
 * token, and failures turned into sentences that say what to do.
 */
public final class ControllerClient {
    public static final String DEFAULT_URL = "http://127.0.0.1:8080";
    public static final String URL_ENV = "ASTAIRE_CONTROLLER";
    public static final String TOKEN_ENV = "ASTAIRE_TOKEN";

    /** A failure to show the operator as is: the message says what went wrong and what to do. */
    public static final class Failure extends RuntimeException {
        private final int status;

        Failure(int status, String message) {
            super(message);
            this.status = status;
        }

        /** The HTTP status, or 0 when the controller was not reached. */
        public int status() {
            return status;
        }
    }

    /** A successful answer. */
    public record Response(int status, String body, HttpResponse<String> raw) {
        public JsonNode json() {
            try {
                return TopologyCodec.jsonMapper().readTree(body);
            } catch (IOException e) {
                throw new Failure(status, "the controller sent something that is not JSON: " + e.getMessage());
            }
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    private final URI base;
    private final String token;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1) // no h2c upgrade: see ControllerTopologySource
            .connectTimeout(Duration.ofSeconds(3)).build();

    private ControllerClient(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    /**
     * @param url the controller's URL, or null for {@code $ASTAIRE_CONTROLLER}, else {@value #DEFAULT_URL}
     * @param token the write token, or null for {@code $ASTAIRE_TOKEN} (reads need none)
     */
    public static ControllerClient of(String url, String token) {
        String u = firstNonBlank(url, System.getenv(URL_ENV), DEFAULT_URL).trim().replaceAll("/+$", "");
        if (!u.startsWith("http://") && !u.startsWith("https://")) {
            throw new Failure(0, "--controller: '" + u + "' is not a URL like " + DEFAULT_URL);
        }
        URI uri;
        try {
            uri = URI.create(u);
        } catch (IllegalArgumentException e) {
            throw new Failure(0, "--controller: '" + u + "' is not a URL like " + DEFAULT_URL);
        }
        return new ControllerClient(uri, firstNonBlank(token, System.getenv(TOKEN_ENV), null));
    }

    public URI base() {
        return base;
    }

    public Response get(String path) {
        return send("GET", path, null);
    }

    public Response post(String path, String body) {
        return send("POST", path, body);
    }

    public Response delete(String path) {
        return send("DELETE", path, null);
    }

    /** Sends a request; any answer other than 2xx/304 becomes a {@link Failure} that explains it. */
    public Response send(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r;
        try {
            r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw unreachable();
        } catch (HttpTimeoutException e) {
            throw new Failure(0, "the controller at " + base + " did not answer within 30 s: is it overloaded or stuck?");
        } catch (IOException e) {
            if (e.getCause() instanceof ConnectException) {
                throw unreachable();
            }
            throw new Failure(0, "cannot talk to the controller at " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(0, "interrupted");
        }
        int status = r.statusCode();
        if (status / 100 == 2 || status == 304) {
            return new Response(status, r.body(), r);
        }
        throw new Failure(status, explain(method, status, r.body()));
    }

    private Failure unreachable() {
        return new Failure(0, "cannot reach the controller at " + base + ": is `astaire controller` running? "
                + "(point at another one with --controller URL or " + URL_ENV + ")");
    }

    private String explain(String method, int status, String body) {
        String message = body;
        String field = null;
        try {
            JsonNode n = TopologyCodec.jsonMapper().readTree(body);
            if (n != null && n.has("message")) {
                message = n.get("message").asText();
                field = n.hasNonNull("field") ? n.get("field").asText() : null;
            }
        } catch (IOException e) {
            // Not our JSON error: show the body as it came.
        }
        if (status == 404 && (message == null || message.isBlank() || message.startsWith("Endpoint"))) {
            return "the controller at " + base + " has no such resource (" + method + "): is it an Astaire controller of this version?";
        }
        return switch (status) {
            case 401 -> "the controller refused the write: " + message
                    + (token == null ? " (no token given: set " + TOKEN_ENV + " or pass --token)" : "");
            case 412 -> "conflicting change: " + message;
            default -> (field != null && !message.startsWith(field) ? field + ": " : "") + message;
        };
    }

    private static String firstNonBlank(String a, String b, String c) {
        if (a != null && !a.isBlank()) {
            return a;
        }
        if (b != null && !b.isBlank()) {
            return b;
        }
        return c;
    }
}
