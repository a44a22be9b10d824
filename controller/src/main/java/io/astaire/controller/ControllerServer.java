package io.astaire.controller;

import static io.astaire.model.ControllerProtocol.VERSION_HEADER;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.astaire.model.ControllerProtocol;
import io.astaire.model.ModelException;
import io.astaire.model.NodeReport;
import io.astaire.model.RuleSpec;
import io.astaire.model.TopologyCodec;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's REST API (JSON; YAML accepted in request bodies) over a {@link Registry}.
 * Reads are open; writes need {@code Authorization: Bearer <write token>}; a node's status report
 * needs that node's own token ({@link NodeSecret}), is at most {@link #MAX_REPORT_BYTES} and is
 * tracked within {@link NodeRegistry.Limits}. See {@code docs/controller.md} and
 * {@code /api/v1/openapi.json}.
 */
public final class ControllerServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerServer.class);
    static final String API = "/api/v1";
    /** Below Jetty's 30 s idle timeout, so a parked long poll is never cut by the server. */
    static final Duration MAX_WATCH = Duration.ofSeconds(25);
    private static final List<Kind> COLLECTIONS = List.of(Kind.FUNCTION, Kind.CHAIN, Kind.RULE);
    /** A report is a few counters: 64 KiB is a hundred times a real one, and bounds what an authenticated node can make us hold. */
    static final int MAX_REPORT_BYTES = 64 * 1024;
    static final int MAX_NODE_NAME = 253;

    private final Registry registry;
    private final NodeRegistry nodes;
    private final PathReadiness readiness;
    private final ControllerMeters meters;
    private volatile boolean closing;
    private final WriteToken token;
    private final NodeSecret nodeSecret;
    private final Javalin app;
    private final String openApiJson;
    private final String openApiYaml;
    private final WebView webView = new WebView();
    /** Null when the API takes writes; else why it does not and where to write instead (the operator mode). */
    private final String readOnly;
    private final String host;

    private ControllerServer(Registry registry, WriteToken token, NodeSecret nodeSecret, NodeRegistry.Limits limits,
                             String host, int port, String readOnly) {
        this.registry = registry;
        this.host = host;
        this.readOnly = readOnly;
        this.token = token;
        this.nodeSecret = nodeSecret;
        this.nodes = new NodeRegistry(limits, Clock.systemUTC());
        this.readiness = new PathReadiness(registry, nodes);
        this.meters = new ControllerMeters(registry, nodes);
        this.openApiYaml = resource("openapi.yaml");
        try {
            this.openApiJson = TopologyCodec.jsonMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(TopologyCodec.yamlMapper().readTree(openApiYaml));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the bundled openapi.yaml is broken: " + e.getMessage(), e);
        }
        this.app = Javalin.create(cfg -> configure(cfg, host, port));
    }

    /** Starts serving {@code registry} on {@code host:port} (port 0 picks a free one), with a node secret in memory only. */
    public static ControllerServer start(Registry registry, WriteToken token, String host, int port) {
        return start(registry, token, NodeSecret.random(), NodeRegistry.Limits.DEFAULT, host, port);
    }

    /** Starts serving {@code registry} on {@code host:port} (port 0 picks a free one). */
    public static ControllerServer start(Registry registry, WriteToken token, NodeSecret nodeSecret, NodeRegistry.Limits limits,
                                         String host, int port) {
        return serve(new ControllerServer(registry, token, nodeSecret, limits, host, port, null));
    }

    /**
     * Serves {@code registry} for reading (topology watch, describe) and node reports only: every
     * other write gets 405 with {@code whereToWrite}. For a registry that mirrors another store,
     * such as the Kubernetes API server in the operator mode.
     */
    public static ControllerServer startReadOnly(Registry registry, NodeSecret nodeSecret, NodeRegistry.Limits limits,
                                                 String host, int port, String whereToWrite) {
        // No write is accepted, so no one may hold a token that could make one.
        WriteToken unusable = WriteToken.given(NodeSecret.random().value());
        return serve(new ControllerServer(registry, unusable, nodeSecret, limits, host, port, whereToWrite));
    }

    private static ControllerServer serve(ControllerServer server) {
        server.app.start();
        LOG.info("controller: serving on http://{}:{}{} ({}{}, version {})", server.host, server.port(), API,
                server.readOnly == null ? "database " : "read-only, from ", server.registry.store().location(),
                server.registry.state().version());
        return server;
    }

    /**
     * Opens (or creates) the SQLite database at {@code database} and serves it. The write token is
     * {@code token} when given, else the one stored beside the database, generated at first start.
     */
    public static ControllerServer open(java.nio.file.Path database, String host, int port, String token) {
        return open(database, host, port, token, null, NodeRegistry.Limits.DEFAULT);
    }

    /**
     * As {@link #open(java.nio.file.Path, String, int, String)}, with the node secret (null: the one
     * kept beside the database, generated at first start) and the bounds on node tracking. The
     * database is locked first, so a second controller on it fails before touching anything.
     */
    public static ControllerServer open(java.nio.file.Path database, String host, int port, String token,
                                        NodeSecret nodeSecret, NodeRegistry.Limits limits) {
        SqliteTopologyStore store = SqliteTopologyStore.open(database);
        try {
            WriteToken t = token == null || token.isBlank() ? WriteToken.besideDatabase(database) : WriteToken.given(token);
            NodeSecret n = nodeSecret != null ? nodeSecret : NodeSecret.besideDatabase(database);
            return start(new Registry(store), t, n, limits, host, port);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public WriteToken token() {
        return token;
    }

    /** The secret node tokens derive from. */
    public NodeSecret nodeSecret() {
        return nodeSecret;
    }

    public int port() {
        return app.port();
    }

    /** The URL clients on this machine use. */
    public URI localUri() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public Registry registry() {
        return registry;
    }

    public NodeRegistry nodes() {
        return nodes;
    }

    /** Whether the current version is ready for the edges (make-before-break); set its switch timeout here. */
    public PathReadiness readiness() {
        return readiness;
    }

    private void configure(JavalinConfig cfg, String host, int port) {
        cfg.jetty.host = host;
        cfg.jetty.port = port;
        cfg.startup.showJavalinBanner = false;
        cfg.startup.showOldJavalinVersionWarning = false;
        cfg.jsonMapper(new JavalinJackson(TopologyCodec.jsonMapper(), false));
        cfg.router.ignoreTrailingSlashes = true;

        var r = cfg.routes;
        r.before(this::refuseWhileClosing);
        r.before(this::authorize);
        r.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.field(), e.getMessage()));
        r.exception(ModelException.class, (e, ctx) -> error(ctx, 400, e.field(), e.getMessage()));
        r.exception(Exception.class, (e, ctx) -> {
            LOG.error("controller: {} {} failed", ctx.method(), ctx.path(), e);
            // The cause stays in the log: it may name files of this host.
            error(ctx, 500, null, "internal error (the controller logged the cause)");
        });

        r.error(404, ctx -> {
            // Our own 404s already carry a JSON error; Javalin's "no such endpoint" gets one too,
            // also for a client that asked for JSON (Javalin then answers with its own shape).
            if (ctx.attribute(OWN_ERROR) == null) {
                error(ctx, 404, null, "no such resource: " + ctx.method() + " " + ctx.path() + " (see " + API + "/openapi.json)");
            }
        });
        r.get("/healthz", ctx -> ctx.result("ok"));
        r.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(meters.scrape()));
        r.get(API + "/openapi.json", ctx -> ctx.contentType("application/json").result(openApiJson));
        r.get(API + "/openapi.yaml", ctx -> ctx.contentType("application/yaml").result(openApiYaml));
        r.get(WebView.PATH, webView::index);
        r.get(WebView.PATH + "/{file}", webView::file);

        r.get(API + "/topology", this::getTopology);
        r.get(API + "/topology/readiness", ctx -> ctx.json(readiness.status()));
        r.put(API + "/topology", ctx -> apply(ctx, true));
        r.post(API + "/apply", ctx -> apply(ctx, bool(ctx, "prune")));

        for (Kind kind : COLLECTIONS) {
            String base = API + "/" + kind.plural();
            r.get(base, ctx -> list(ctx, kind));
            r.post(base, ctx -> create(ctx, kind));
            r.get(base + "/{name}", ctx -> getItem(ctx, kind, ctx.pathParam("name")));
            r.put(base + "/{name}", ctx -> putItem(ctx, kind, ctx.pathParam("name")));
            r.delete(base + "/{name}", ctx -> deleteItem(ctx, kind));
        }
        r.get(API + "/settings", ctx -> getItem(ctx, Kind.SETTINGS, Kind.SETTINGS_NAME));
        r.put(API + "/settings", ctx -> putItem(ctx, Kind.SETTINGS, Kind.SETTINGS_NAME));

        r.get(API + "/function-kinds", ctx -> ctx.json(Map.of("validated", registry.validatedKinds())));

        r.post(API + "/chains/{chain}/trace", new TraceEndpoint(registry)::handle);

        r.post(API + "/nodes/{name}/status", this::nodeStatus);
        r.get(API + "/nodes", ctx -> ctx.json(nodes.all()));
        r.get(API + "/nodes/{name}", ctx -> {
            var s = nodes.get(ctx.pathParam("name"));
            if (s == null) {
                throw new ApiException(404, null, "no node named '" + ctx.pathParam("name") + "' has reported");
            }
            ctx.json(s);
        });
    }

    /**
     * A request that reaches the server while it stops is answered at once, on a connection that
     * closes: a client must not park a long poll on, or reuse, a connection the stopping server may
     * leave unanswered (seen: a node's watch sent just as the controller stopped hung for its whole
     * request timeout instead of failing and retrying).
     */
    private void refuseWhileClosing(Context ctx) {
        if (closing) {
            ctx.header("Connection", "close");
            throw new ApiException(503, null, "the controller is stopping");
        }
    }

    // ---- auth ----

    private void authorize(Context ctx) {
        String method = ctx.req().getMethod();
        if (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
            return;
        }
        if (ctx.path().startsWith(API + "/nodes/") && ctx.path().endsWith("/status")) {
            return; // a report carries its node token instead, checked in nodeStatus against the name it reports under
        }
        if (readOnly != null) {
            ctx.header("Allow", "GET, HEAD");
            throw new ApiException(405, null, readOnly);
        }
        String bearer = bearer(ctx, "writes need 'Authorization: Bearer <token>': set " + ControllerClient.TOKEN_ENV
                + " or --token to the controller's write token");
        if (!token.matches(bearer)) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"astaire\", error=\"invalid_token\"");
            throw new ApiException(401, null, "the bearer token is wrong: use the controller's write token (its operator has it)");
        }
    }

    /** The bearer token of the request; 401 with {@code missing} when there is none. Says nothing of where tokens are kept. */
    private static String bearer(Context ctx, String missing) {
        String auth = ctx.header("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"astaire\"");
            throw new ApiException(401, null, missing);
        }
        return auth.substring(7);
    }

    // ---- topology and watch ----

    private void getTopology(Context ctx) {
        String afterParam = ctx.queryParam("after");
        if (afterParam == null) {
            sendTopology(ctx, registry.state());
            return;
        }
        long after;
        try {
            after = Long.parseLong(afterParam.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("after", "'" + afterParam + "' is not a version number");
        }
        Duration timeout = duration(ctx.queryParam("timeout"), MAX_WATCH);
        WatchCondition condition = WatchCondition.of(after, bool(ctx, "ready"), longParam(ctx, "readyAfter"));
        ctx.future(() -> awaitChange(condition, System.nanoTime() + timeout.toNanos()).thenAccept(s -> {
            if (closing) {
                ctx.header("Connection", "close"); // a watcher woken by close(): its next poll opens a new connection, which fails fast
            }
            if (s != null) {
                sendTopology(ctx, s);
            } else {
                RegistryState now = registry.state();
                ctx.status(304);
                ctx.header("ETag", Item.etag(now.version()));
                ctx.header(VERSION_HEADER, Long.toString(now.version()));
                ctx.header(ControllerProtocol.READY_VERSION_HEADER, Long.toString(readiness.readyVersion()));
            }
        }));
    }

    /**
     * What a long poll waits for: a version other than {@code after} (the nodes' watch); with
     * {@code ready}, one that is also ready; with {@code readyAfter}, that or a ready version other
     * than {@code readyAfter} (the edges' watch, which follows both).
     */
    private record WatchCondition(long after, boolean ready, Long readyAfter) {
        static WatchCondition of(long after, boolean ready, Long readyAfter) {
            return new WatchCondition(after, ready, readyAfter);
        }

        boolean holds(long version, long readyVersion) {
            boolean moved = version != after && (!ready || readyVersion >= version);
            return moved || (readyAfter != null && readyVersion != readyAfter);
        }
    }

    /** Completes with the state once {@code c} holds, or null at the deadline; parks no thread. */
    private CompletableFuture<RegistryState> awaitChange(WatchCondition c, long deadlineNanos) {
        // Take the future before re-reading: a write (or a readiness change) in between completes it.
        CompletableFuture<Long> next = registry.watch().next();
        if (closing) {
            // Checked after taking the future: close() sets closing, then publishes, so a future
            // taken after that publication would park this watcher past the server's stop (seen:
            // a node's watch hung for its whole poll when the check came first).
            return CompletableFuture.completedFuture(null);
        }
        RegistryState now = registry.state();
        if (c.holds(now.version(), readiness.readyVersion())) {
            return CompletableFuture.completedFuture(now);
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        return next.copy().completeOnTimeout(null, left, TimeUnit.NANOSECONDS)
                .thenCompose(v -> v == null ? CompletableFuture.completedFuture(null) : awaitChange(c, deadlineNanos));
    }

    private static Long longParam(Context ctx, String name) {
        String text = ctx.queryParam(name);
        if (text == null) {
            return null;
        }
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name, "'" + text + "' is not a version number");
        }
    }

    private void sendTopology(Context ctx, RegistryState s) {
        ctx.header("ETag", Item.etag(s.version()));
        ctx.header(VERSION_HEADER, Long.toString(s.version()));
        ctx.header(ControllerProtocol.READY_VERSION_HEADER, Long.toString(readiness.readyVersion()));
        if (wantsYaml(ctx)) {
            ctx.contentType("application/yaml").result(TopologyCodec.toYaml(s.topology()));
        } else {
            ctx.contentType("application/json").result(TopologyCodec.toJson(s.topology()));
        }
    }

    private static boolean wantsYaml(Context ctx) {
        String format = ctx.queryParam("format");
        if (format != null) {
            return format.equalsIgnoreCase("yaml");
        }
        String accept = ctx.header("Accept");
        return accept != null && accept.contains("yaml");
    }

    private void apply(Context ctx, boolean prune) {
        ApplyDocument doc = ApplyDocument.parse(body(ctx));
        Registry.WriteResult result = registry.apply(doc, prune, bool(ctx, "dryRun"), ctx.header("If-Match"));
        logWrite(result, bool(ctx, "dryRun"));
        List<Map<String, Object>> items = new ArrayList<>();
        for (Registry.Outcome o : result.outcomes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", o.kind().singular());
            m.put("name", o.name());
            m.put("action", o.action().label());
            items.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", result.version());
        body.put("dryRun", bool(ctx, "dryRun"));
        body.put("items", items);
        ctx.header("ETag", Item.etag(result.version()));
        ctx.header(VERSION_HEADER, Long.toString(result.version()));
        ctx.json(body);
    }

    // ---- collections ----

    private void list(Context ctx, Kind kind) {
        List<Object> specs = new ArrayList<>();
        for (Item<?> i : registry.state().items(kind).values()) {
            specs.add(i.spec());
        }
        if (kind == Kind.RULE) {
            // In the order the classifier tries them, so the list reads like the ingress's decision.
            specs.sort((a, b) -> RuleSpec.TRY_ORDER.compare((RuleSpec) a, (RuleSpec) b));
        }
        ctx.header(VERSION_HEADER, Long.toString(registry.state().version()));
        ctx.json(specs);
    }

    private void getItem(Context ctx, Kind kind, String name) {
        Item<?> item = kind == Kind.SETTINGS ? registry.state().settings() : registry.state().item(kind, name);
        if (item == null) {
            throw ApiException.notFound(kind, name);
        }
        ctx.header("ETag", item.etag());
        ctx.json(item.spec());
    }

    private void create(Context ctx, Kind kind) {
        Object spec = TopologyCodec.parse(body(ctx), kind.type());
        Registry.WriteResult result = registry.create(kind, spec);
        logWrite(result, false);
        String name = kind.nameOf(spec);
        Item<?> item = registry.state().item(kind, name);
        ctx.status(201);
        ctx.header("Location", API + "/" + kind.plural() + "/" + name);
        ctx.header("ETag", item.etag());
        ctx.json(item.spec());
    }

    private void putItem(Context ctx, Kind kind, String name) {
        Object spec = TopologyCodec.parse(body(ctx), kind.type());
        if (kind != Kind.SETTINGS && kind.nameOf(spec) == null) {
            spec = withName(kind, spec, name);
        }
        Registry.WriteResult result = registry.put(kind, name, spec, ctx.header("If-Match"));
        logWrite(result, false);
        Item<?> item = kind == Kind.SETTINGS ? registry.state().settings() : registry.state().item(kind, name);
        boolean created = result.outcomes().stream().anyMatch(o -> o.action() == Registry.Action.CREATED);
        ctx.status(created && kind != Kind.SETTINGS ? 201 : 200);
        ctx.header("ETag", item.etag());
        ctx.json(item.spec());
    }

    private void deleteItem(Context ctx, Kind kind) {
        Registry.WriteResult result = registry.delete(kind, ctx.pathParam("name"), ctx.header("If-Match"));
        logWrite(result, false);
        ctx.status(204);
    }

    /** A PUT body may leave out the name: the path gives it. */
    private static Object withName(Kind kind, Object spec, String name) {
        return switch (spec) {
            case io.astaire.model.FunctionSpec f -> new io.astaire.model.FunctionSpec(name, f.kind(), f.config(), f.address(), f.replicas());
            case io.astaire.model.ChainSpec c -> new io.astaire.model.ChainSpec(name, c.spi(), c.symmetric(), c.functions());
            case io.astaire.model.RuleSpec r -> new io.astaire.model.RuleSpec(name, r.priority(), r.protocol(), r.source(), r.destination(),
                    r.sourcePorts(), r.destinationPorts(), r.chain());
            default -> throw new IllegalArgumentException(kind + " has no name");
        };
    }

    // ---- nodes ----

    private void nodeStatus(Context ctx) {
        String name = ctx.pathParam("name");
        if (name.isBlank() || name.length() > MAX_NODE_NAME) {
            throw ApiException.badRequest("name", "a node name is 1 to " + MAX_NODE_NAME + " characters");
        }
        authorizeNode(ctx, name);
        NodeReport report = TopologyCodec.parse(reportBody(ctx), NodeReport.class);
        if (report.role() == null || report.role().isBlank()) {
            throw ApiException.badRequest("role", "is required (ingress, egress or sf)");
        }
        if (report.reportIntervalMillis() != null && report.reportIntervalMillis() <= 0) {
            throw ApiException.badRequest("reportIntervalMillis", "must be positive, not " + report.reportIntervalMillis());
        }
        ctx.json(nodes.report(name, report, ctx.ip()));
        readiness.evaluate();
    }

    /** Before the body is read: a caller without the node's token costs us its headers only. */
    private void authorizeNode(Context ctx, String name) {
        String bearer = bearer(ctx, "status reports need 'Authorization: Bearer <node token>': give the node its token with "
                + "--node-token-file or " + ControllerProtocol.NODE_TOKEN_ENV);
        if (!nodeSecret.admits(name, bearer)) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"astaire-nodes\", error=\"invalid_token\"");
            throw new ApiException(401, null, "the node token is not node '" + name + "''s: a node reports under its own name, "
                    + "with the token derived from the controller's node secret");
        }
    }

    private static String reportBody(Context ctx) {
        if (ctx.contentLength() > MAX_REPORT_BYTES) {
            throw tooLarge(ctx.contentLength());
        }
        String body = body(ctx);
        if (body.length() > MAX_REPORT_BYTES) {
            throw tooLarge(body.length());
        }
        return body;
    }

    private static ApiException tooLarge(long size) {
        return new ApiException(413, null, "a status report is at most " + MAX_REPORT_BYTES + " bytes, this one " + size);
    }

    // ---- helpers ----

    private void logWrite(Registry.WriteResult result, boolean dryRun) {
        for (Registry.Outcome o : result.outcomes()) {
            if (o.action() != Registry.Action.UNCHANGED) {
                LOG.info("controller: {}{} '{}' {} (version {})", dryRun ? "dry run: " : "", o.kind().singular(), o.name(),
                        o.action().label(), result.version());
            }
        }
    }

    private static String body(Context ctx) {
        String body = ctx.body();
        if (body == null || body.isBlank()) {
            throw ApiException.badRequest("(body)", "is empty: send the item as JSON (or YAML)");
        }
        return body;
    }

    private static boolean bool(Context ctx, String param) {
        String v = ctx.queryParam(param);
        if (v == null) {
            return false;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "", "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw ApiException.badRequest(param, "'" + v + "' is not true or false");
        };
    }

    /** {@code 500ms}, {@code 20s} or a number of seconds; at most {@link #MAX_WATCH}. */
    static Duration duration(String text, Duration dflt) {
        if (text == null || text.isBlank()) {
            return dflt;
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        Duration d;
        try {
            if (t.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            } else if (t.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            } else {
                d = Duration.ofSeconds(Long.parseLong(t));
            }
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("timeout", "'" + text + "' is not a duration like 500ms or 20s");
        }
        if (d.isNegative()) {
            throw ApiException.badRequest("timeout", "'" + text + "' is negative");
        }
        return d.compareTo(MAX_WATCH) > 0 ? MAX_WATCH : d;
    }

    /** Marks a response whose error body is ours, so the 404 handler leaves it alone. */
    private static final String OWN_ERROR = "astaire.error";

    private static void error(Context ctx, int status, String field, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        if (field != null) {
            body.put("field", field);
        }
        body.put("message", message);
        ctx.attribute(OWN_ERROR, Boolean.TRUE);
        ctx.status(status).json(body);
    }

    private static String resource(String name) {
        try (InputStream in = ControllerServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the bundled resource " + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled resource " + name, e);
        }
    }

    /** Stops serving, answers parked watchers, and closes the database. */
    @Override
    public void close() {
        closing = true;
        readiness.close();
        registry.watch().publish(registry.state().version());
        app.stop();
        meters.close();
        registry.close();
    }
}
