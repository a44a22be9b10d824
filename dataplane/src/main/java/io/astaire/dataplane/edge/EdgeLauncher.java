package io.astaire.dataplane.edge;

import io.astaire.dataplane.config.ControllerTopologySource;
import io.astaire.dataplane.config.NodeStatusReporter;
import io.astaire.dataplane.config.FileTopologySource;
import io.astaire.dataplane.config.TopologySource;
import io.astaire.dataplane.resolve.DnsNameLookup;
import io.astaire.dataplane.resolve.NodeNameLookups;
import io.astaire.dataplane.node.OpsServer;
import io.astaire.dataplane.ops.RuntimeMeters;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.update.TopologyRejection;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code astaire ingress} and {@code astaire egress} do once their flags are parsed: take
 * the topology from a file or the controller, start the {@link EdgeNode}, serve
 * {@code /metrics}, {@code /healthz} and {@code /readyz}, and run until the process is asked to
 * stop (SIGTERM, Ctrl-C), then close everything (the TUN device disappears with it).
 */
public final class EdgeLauncher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EdgeLauncher.class);

    /** How often the edge checks that its {@code --route}s are still there. */
    static final Duration ROUTE_CHECK = Duration.ofSeconds(1);

    private final TopologySource source;
    private NodeStatusReporter reporter;
    private final EdgeNode node;
    private final OwnedRoutes routes;
    private final OpsServer ops;
    private final RuntimeMeters runtime;
    private boolean closed;

    private EdgeLauncher(TopologySource source, EdgeNode node, OwnedRoutes routes, OpsServer ops, RuntimeMeters runtime) {
        this.source = source;
        this.node = node;
        this.routes = routes;
        this.ops = ops;
        this.runtime = runtime;
    }

    /** Where the topology comes from: exactly one of the two. */
    public static TopologySource topologySource(Path file, URI controller) {
        if ((file == null) == (controller == null)) {
            throw new IllegalArgumentException("give exactly one of --topology FILE and --controller URL");
        }
        return file != null ? new FileTopologySource(file) : ControllerTopologySource.forEdge(controller);
    }

    /** Starts the edge and its operations endpoint. */
    public static EdgeLauncher start(EdgeConfig config, TopologySource source, InetSocketAddress metricsListen) {
        return start(config, source, metricsListen, null, Duration.ofSeconds(2));
    }

    /**
     * Starts the edge; with a controller source it reports to the controller as {@code name}
     * (null: {@code <role>@<host name>}) every {@code reportInterval}.
     */
    public static EdgeLauncher start(EdgeConfig config, TopologySource source, InetSocketAddress metricsListen,
                                     String name, Duration reportInterval) {
        return start(config, source, metricsListen, name, reportInterval, io.astaire.dataplane.forward.ForwardingTable.DEFAULT_DRAIN,
                NodeStatusReporter.defaultCredential());
    }

    /**
     * As above, keeping routes of a path's previous generation for {@code drain} after a change, and
     * reporting with {@code credential} (the node's token {@code NAME:TOKEN} or the node secret; null: none).
     */
    public static EdgeLauncher start(EdgeConfig config, TopologySource source, InetSocketAddress metricsListen,
                                     String name, Duration reportInterval, Duration drain, String credential) {
        HopResolver resolver = new HopResolver(NodeNameLookups.create(null, DnsNameLookup.Family.BOTH, Duration.ofSeconds(2), System.getenv()),
                HopResolver.Options.defaults());
        EdgeNode node;
        try {
            node = EdgeNode.start(config, source, resolver, drain);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
        OwnedRoutes routes;
        try {
            routes = OwnedRoutes.install(config.role().label(), config.tunName(), config.routes()).watch(ROUTE_CHECK);
        } catch (RuntimeException e) {
            node.close();
            source.close();
            throw e;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RuntimeMeters runtime = RuntimeMeters.bind(registry, config.role().label());
        EdgeMetrics metrics = new EdgeMetrics(registry, node);
        metrics.routes(routes);
        resolver.meters(registry); // astaire_next_hop_unreachable_total{replica}
        OpsServer ops;
        try {
            ops = new OpsServer(metricsListen, () -> {
                metrics.refresh();
                return registry.scrape();
            }, node::ready, node::notReadyReason);
            ops.json("/classifier/rules", metrics::classifierRulesJson);
        } catch (RuntimeException e) {
            runtime.close();
            routes.close();
            node.close();
            source.close();
            throw e;
        }
        LOG.info("{} serving /metrics, /healthz, /readyz, /classifier/rules on {}", config.role().label(), ops.address());
        EdgeLauncher launcher = new EdgeLauncher(source, node, routes, ops, runtime);
        if (source instanceof ControllerTopologySource controller) {
            controller.bindMeters(registry);
            // Counters named <role>.<counter>, so 'astaire describe chain' shows them on the ingress/egress hop.
            String role = config.role().label();
            launcher.reporter = new NodeStatusReporter(controller.controller(), name != null ? name : role + "@" + hostname(), credential, role, List.of(),
                    node::appliedVersion, () -> {
                        Map<String, Long> m = new TreeMap<>();
                        node.stats().asMap().forEach((k, v) -> {
                            if (v != 0 || !(k.startsWith("drop_") || k.endsWith("_errors"))) {
                                m.put(role + "." + k, v); // drop reasons only once they happen
                            }
                        });
                        return m;
                    }, reportInterval)
                    .rejection(() -> TopologyRejection.forReport(node.rejection()))
                    .bindMeters(registry);
            NodeStatusReporter reporter = launcher.reporter;
            source.subscribe(v -> reporter.reportNow()); // the edge's own listener ran first: v is applied
        }
        return launcher;
    }

    /** Blocks until the JVM shuts down (SIGTERM/SIGINT), closing the edge on the way out. */
    public void runUntilShutdown() {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            close();
            stopped.countDown();
        }, "edge-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
        }
    }

    public EdgeNode node() {
        return node;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("{} stopping: {}", node.role().label(), node.stats().asMap());
        if (reporter != null) {
            reporter.close();
        }
        ops.close();
        runtime.close();
        routes.close();
        node.close();
        source.close();
    }

    private static String hostname() {
        String h = System.getenv("HOSTNAME");
        if (h != null && !h.isBlank()) {
            return h;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "unknown-host";
        }
    }
}
