package io.astaire.controller;

import com.fasterxml.jackson.databind.JsonNode;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A plain JDK HTTP client for the tests: the API as any client sees it. */
final class Http {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    record Response(int status, String body, HttpResponse<String> raw) {
        JsonNode json() {
            try {
                return TopologyCodec.jsonMapper().readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + body, e);
            }
        }

        String etag() {
            return raw.headers().firstValue("ETag").orElse(null);
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    private final URI base;
    private String token;

    Http(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    Http token(String t) {
        return new Http(base, t);
    }

    Response get(String path) {
        return send("GET", path, null, null);
    }

    Response post(String path, String body) {
        return send("POST", path, body, null);
    }

    Response put(String path, String body) {
        return send("PUT", path, body, null);
    }

    Response put(String path, String body, String ifMatch) {
        return send("PUT", path, body, ifMatch);
    }

    Response delete(String path) {
        return send("DELETE", path, null, null);
    }

    Response delete(String path, String ifMatch) {
        return send("DELETE", path, null, ifMatch);
    }

    Response send(String method, String path, String body, String ifMatch) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        try {
            HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
