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
 * The controller's REST API (JSON; YAML accepted in request bodies) over a {@link Registry}, at
 * {@code /api/v1}; in the operator mode over one registry per ServiceChain, each at
 * {@code /servicechains/<name>/api/v1} (the same endpoints). Reads are open; writes need {@code Authorization: Bearer <write token>}; a node's status report
 * needs that node's own token ({@link NodeSecret}), is at most {@link #MAX_REPORT_BYTES} and is
 * tracked within {@link NodeRegistry.Limits}. See {@code docs/controller.md} and
 * {@code /api/v1/openapi.json}.
 */
public final class ControllerServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerServer.class);
    static final String API = "/api/v1";
    /** The root of a ServiceChain's own API in the operator mode: {@code /servicechains/<name>} + {@link #API}. */
    static final String SERVICECHAINS = ControllerProtocol.SERVICECHAINS;
    private static final String SCOPE_PARAM = "servicechain";
    private static final String SCOPED = SERVICECHAINS + "/{" + SCOPE_PARAM + "}";
    private static final java.util.regex.Pattern SCOPE_PREFIX = java.util.regex.Pattern.compile("^" + SERVICECHAINS + "/[^/]+");
    /** Below Jetty's 30 s idle timeout, so a parked long poll is never cut by the server. */
    static final Duration MAX_WATCH = Duration.ofSeconds(25);
    private static final List<Kind> COLLECTIONS = List.of(Kind.FUNCTION, Kind.CHAIN, Kind.RULE);
    /** A report is a few counters: 64 KiB is a hundred times a real one, and bounds what an authenticated node can make us hold. */
    static final int MAX_REPORT_BYTES = 64 * 1024;
    static final int MAX_NODE_NAME = 253;

    /** The controller's own topology; null in the operator mode, which serves only {@link #chains}. */
    private final ServedRegistry own;
    private final java.util.concurrent.ConcurrentMap<String, ServedRegistry> chains = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final NodeRegistry.Limits limits;
    private final ControllerMeters meters = new ControllerMeters();
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
        this.host = host;
        this.readOnly = readOnly;
        this.token = token;
        this.nodeSecret = nodeSecret;
        this.limits = limits;
        this.own = registry == null ? null : new ServedRegistry(null, registry, new NodeRegistry(limits, Clock.systemUTC()), meters);
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
     * Serves the registries given to {@link #serve(String, Registry)}, each at
     * {@code /servicechains/<name>/api/v1}, for reading (topology watch, describe) and node reports
     * only: every other write gets 405 with {@code whereToWrite}. For registries that mirror
     * another store, such as the Kubernetes API server in the operator mode.
     */
    public static ControllerServer startReadOnly(NodeSecret nodeSecret, NodeRegistry.Limits limits, String host, int port,
                                                 String whereToWrite) {
        // No write is accepted, so no one may hold a token that could make one.
        WriteToken unusable = WriteToken.given(NodeSecret.random().value());
        return serve(new ControllerServer(null, unusable, nodeSecret, limits, host, port, whereToWrite));
    }

    private static ControllerServer serve(ControllerServer server) {
        server.app.start();
        if (server.own != null) {
            LOG.info("controller: serving on http://{}:{}{} (database {}, version {})", server.host, server.port(), API,
                    server.own.registry().store().location(), server.own.registry().state().version());
        } else {
            LOG.info("controller: serving each ServiceChain read-only at http://{}:{}{}/<name>{}", server.host, server.port(),
                    SERVICECHAINS, API);
        }
        return server;
    }

    /**
     * Starts serving {@code registry} as ServiceChain {@code name}'s API, at
     * {@code /servicechains/<name>/api/v1}, with its own node tracking and readiness.
     *
     * @throws IllegalStateException when this server has its own registry, or already serves {@code name}
     */
    public ServedRegistry serve(String name, Registry registry) {
        if (own != null) {
            throw new IllegalStateException("this controller serves its own registry at " + API + ", not ServiceChains");
        }
        if (!ControllerProtocol.isServiceChainName(name)) {
            throw new IllegalArgumentException("'" + name + "' is not a ServiceChain name (DNS-1123 subdomain)");
        }
        ServedRegistry s = new ServedRegistry(name, registry, new NodeRegistry(limits, Clock.systemUTC()), meters);
        if (chains.putIfAbsent(name, s) != null) {
            s.close();
            throw new IllegalStateException("ServiceChain '" + name + "' is already served");
        }
        LOG.info("controller: serving ServiceChain '{}' at http://{}:{}{}/{}{}", name, host, port(), SERVICECHAINS, name, API);
        return s;
    }

    /** Stops serving ServiceChain {@code name} (its parked watchers are answered) and closes its registry; false if it was not served. */
    public boolean unserve(String name) {
        ServedRegistry s = chains.remove(name);
        if (s == null) {
            return false;
        }
        s.close();
        LOG.info("controller: no longer serving ServiceChain '{}'", name);
        return true;
    }

    /** The ServiceChains served, by name (empty for a controller with its own registry). */
    public java.util.Set<String> serviceChains() {
        return java.util.Collections.unmodifiableSet(chains.keySet());
    }

    /** ServiceChain {@code name}'s served registry, or null. */
    public ServedRegistry served(String name) {
        return chains.get(name);
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
        return own().registry();
    }

    public NodeRegistry nodes() {
        return own().nodes();
    }

    /** Whether the current version is ready for the edges (make-before-break); set its switch timeout here. */
    public PathReadiness readiness() {
        return own().readiness();
    }

    private ServedRegistry own() {
        if (own == null) {
            throw new IllegalStateException("this controller serves ServiceChains, each with its own registry: use served(name)");
        }
        return own;
    }

    /** The topology a request is about: the ServiceChain its path names, else the controller's own. */
    private ServedRegistry scope(Context ctx) {
        String name = ctx.pathParamMap().get(SCOPE_PARAM);
        if (name == null) {
            if (own == null) {
                throw new ApiException(404, null, "this controller serves each ServiceChain at " + SERVICECHAINS + "/<name>" + API
                        + " (serving: " + servingList() + ")");
            }
            return own;
        }
        ServedRegistry s = chains.get(name);
        if (s == null) {
            throw new ApiException(404, null, "no ServiceChain named '" + name + "' is served here (serving: " + servingList() + ")");
        }
        return s;
    }

    private String servingList() {
        return chains.isEmpty() ? "none" : String.join(", ", chains.keySet());
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
        r.get(SERVICECHAINS, this::listServiceChains);
        r.get(WebView.PATH + "/{file}", webView::file);
        // Every topology's endpoints, at the root for the controller's own and under its prefix for a ServiceChain's.
        for (String root : List.of("", SCOPED)) {
            r.get(root + API + "/openapi.json", ctx -> ctx.contentType("application/json").result(openApiJson));
            r.get(root + API + "/openapi.yaml", ctx -> ctx.contentType("application/yaml").result(openApiYaml));
            r.get(root + WebView.PATH, ctx -> {
                scope(ctx);
                webView.index(ctx);
            });

            r.get(root + API + "/topology", ctx -> getTopology(ctx, scope(ctx)));
            r.get(root + API + "/topology/readiness", ctx -> ctx.json(scope(ctx).readiness().status()));
            r.put(root + API + "/topology", ctx -> apply(ctx, scope(ctx), true));
            r.post(root + API + "/apply", ctx -> apply(ctx, scope(ctx), bool(ctx, "prune")));

            for (Kind kind : COLLECTIONS) {
                String base = root + API + "/" + kind.plural();
                r.get(base, ctx -> list(ctx, scope(ctx), kind));
                r.post(base, ctx -> create(ctx, scope(ctx), kind));
                r.get(base + "/{name}", ctx -> getItem(ctx, scope(ctx), kind, ctx.pathParam("name")));
                r.put(base + "/{name}", ctx -> putItem(ctx, scope(ctx), kind, ctx.pathParam("name")));
                r.delete(base + "/{name}", ctx -> deleteItem(ctx, scope(ctx), kind));
            }
            r.get(root + API + "/settings", ctx -> getItem(ctx, scope(ctx), Kind.SETTINGS, Kind.SETTINGS_NAME));
            r.put(root + API + "/settings", ctx -> putItem(ctx, scope(ctx), Kind.SETTINGS, Kind.SETTINGS_NAME));

            r.get(root + API + "/function-kinds", ctx -> ctx.json(Map.of("validated", scope(ctx).registry().validatedKinds())));

            r.post(root + API + "/chains/{chain}/trace", ctx -> scope(ctx).trace().handle(ctx));

            r.post(root + API + "/nodes/{name}/status", ctx -> nodeStatus(ctx, scope(ctx)));
            r.get(root + API + "/nodes", ctx -> ctx.json(scope(ctx).nodes().all()));
            r.get(root + API + "/nodes/{name}", ctx -> {
                var s = scope(ctx).nodes().get(ctx.pathParam("name"));
                if (s == null) {
                    throw new ApiException(404, null, "no node named '" + ctx.pathParam("name") + "' has reported");
                }
                ctx.json(s);
            });
        }
    }

    /** {@code GET /servicechains}: what the operator serves, so a user can find the URL to give {@code describe}. */
    private void listServiceChains(Context ctx) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (ServedRegistry s : chains.values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("api", SERVICECHAINS + "/" + s.name() + API);
            m.put("version", s.registry().state().version());
            m.put("nodes", s.nodes().all().size());
            list.add(m);
        }
        ctx.json(list);
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
        String path = SCOPE_PREFIX.matcher(ctx.path()).replaceFirst("");
        if (path.startsWith(API + "/nodes/") && path.endsWith("/status")) {
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

    private void getTopology(Context ctx, ServedRegistry scope) {
        String afterParam = ctx.queryParam("after");
        if (afterParam == null) {
            sendTopology(ctx, scope, scope.registry().state());
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
        ctx.future(() -> awaitChange(scope, condition, System.nanoTime() + timeout.toNanos()).thenAccept(s -> {
            if (closing || scope.closed()) {
                ctx.header("Connection", "close"); // a watcher woken by close(): its next poll opens a new connection, which fails fast
            }
            if (s != null) {
                sendTopology(ctx, scope, s);
            } else {
                RegistryState now = scope.registry().state();
                ctx.status(304);
                ctx.header("ETag", Item.etag(now.version()));
                ctx.header(VERSION_HEADER, Long.toString(now.version()));
                ctx.header(ControllerProtocol.READY_VERSION_HEADER, Long.toString(scope.readiness().readyVersion()));
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
    private CompletableFuture<RegistryState> awaitChange(ServedRegistry scope, WatchCondition c, long deadlineNanos) {
        // Take the future before re-reading: a write (or a readiness change) in between completes it.
        CompletableFuture<Long> next = scope.registry().watch().next();
        if (closing || scope.closed()) {
            // Checked after taking the future: close() sets closing, then publishes, so a future
            // taken after that publication would park this watcher past the server's stop (seen:
            // a node's watch hung for its whole poll when the check came first).
            return CompletableFuture.completedFuture(null);
        }
        RegistryState now = scope.registry().state();
        if (c.holds(now.version(), scope.readiness().readyVersion())) {
            return CompletableFuture.completedFuture(now);
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        return next.copy().completeOnTimeout(null, left, TimeUnit.NANOSECONDS)
                .thenCompose(v -> v == null ? CompletableFuture.completedFuture(null) : awaitChange(scope, c, deadlineNanos));
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

    private void sendTopology(Context ctx, ServedRegistry scope, RegistryState s) {
        ctx.header("ETag", Item.etag(s.version()));
        ctx.header(VERSION_HEADER, Long.toString(s.version()));
        ctx.header(ControllerProtocol.READY_VERSION_HEADER, Long.toString(scope.readiness().readyVersion()));
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

    private void apply(Context ctx, ServedRegistry scope, boolean prune) {
        ApplyDocument doc = ApplyDocument.parse(body(ctx));
        Registry.WriteResult result = scope.registry().apply(doc, prune, bool(ctx, "dryRun"), ctx.header("If-Match"));
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

    private void list(Context ctx, ServedRegistry scope, Kind kind) {
        Registry registry = scope.registry();
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

    private void getItem(Context ctx, ServedRegistry scope, Kind kind, String name) {
        Registry registry = scope.registry();
        Item<?> item = kind == Kind.SETTINGS ? registry.state().settings() : registry.state().item(kind, name);
        if (item == null) {
            throw ApiException.notFound(kind, name);
        }
        ctx.header("ETag", item.etag());
        ctx.json(item.spec());
    }

    private void create(Context ctx, ServedRegistry scope, Kind kind) {
        Registry registry = scope.registry();
        Object spec = TopologyCodec.parse(body(ctx), kind.type());
        Registry.WriteResult result = registry.create(kind, spec);
        logWrite(result, false);
        String name = kind.nameOf(spec);
        Item<?> item = registry.state().item(kind, name);
        ctx.status(201);
        ctx.header("Location", (scope.name() == null ? "" : SERVICECHAINS + "/" + scope.name()) + API + "/" + kind.plural() + "/" + name);
        ctx.header("ETag", item.etag());
        ctx.json(item.spec());
    }

    private void putItem(Context ctx, ServedRegistry scope, Kind kind, String name) {
        Registry registry = scope.registry();
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

    private void deleteItem(Context ctx, ServedRegistry scope, Kind kind) {
        Registry.WriteResult result = scope.registry().delete(kind, ctx.pathParam("name"), ctx.header("If-Match"));
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

    private void nodeStatus(Context ctx, ServedRegistry scope) {
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
        ctx.json(scope.nodes().report(name, report, ctx.ip()));
        scope.readiness().evaluate();
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
        List<ServedRegistry> all = new ArrayList<>(chains.values());
        if (own != null) {
            all.add(own);
        }
        // Before the server stops: parked watchers are answered while it can still send.
        for (ServedRegistry s : all) {
            s.registry().watch().publish(s.registry().state().version());
        }
        app.stop();
        for (ServedRegistry s : all) {
            s.close();
        }
        chains.clear();
        meters.close();
    }
}
