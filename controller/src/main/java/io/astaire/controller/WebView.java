package io.astaire.controller;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files of the live web view ({@code GET /ui}): plain ES modules, one style sheet and one page,
 * bundled in the jar and read once at start. Only the files listed here are served, so a path
 * never reaches the class path loader. The page reads the public GET endpoints and starts traces
 * with the write token the user gives it; see {@code docs/controller.md}, "The web view".
 */
final class WebView {
    static final String PATH = "/ui";
    private static final String RESOURCES = "ui/";

    /**
     * Everything from this origin, nothing from anywhere else (no CDN, no inline script), no
     * framing: the page is read-only without a token, but with one it can start traces.
     */
    static final String CONTENT_SECURITY_POLICY =
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    private record Asset(String contentType, byte[] body) {}

    private final Map<String, Asset> assets = new LinkedHashMap<>();

    WebView() {
        add("index.html", "text/html; charset=utf-8");
        add("style.css", "text/css; charset=utf-8");
        for (String module : new String[] {"app.js", "api.js", "token.js", "rates.js", "chain.js", "graph.js", "panel.js", "trace.js"}) {
            add(module, "text/javascript; charset=utf-8");
        }
    }

    /** The file names served under {@code /ui/}. */
    java.util.Set<String> files() {
        return assets.keySet();
    }

    /** {@code GET /ui}: the page. */
    void index(Context ctx) {
        send(ctx, assets.get("index.html"));
    }

    /** {@code GET /ui/{file}}: one of {@link #files()}, else 404. */
    void file(Context ctx) {
        String name = ctx.pathParam("file");
        Asset asset = assets.get(name);
        if (asset == null) {
            throw new ApiException(404, null, "the web view has no file '" + name + "' (it has " + String.join(", ", assets.keySet()) + ")");
        }
        send(ctx, asset);
    }

    private static void send(Context ctx, Asset asset) {
        // Revalidated on each load: after an upgrade the browser must not mix old and new modules.
        ctx.header("Cache-Control", "no-cache");
        ctx.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.contentType(asset.contentType()).result(asset.body());
    }

    private void add(String name, String contentType) {
        try (InputStream in = WebView.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("the web view's " + name + " is missing from the jar");
            }
            assets.put(name, new Asset(contentType, in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the web view's " + name, e);
        }
    }
}
