package io.astaire.dataplane.node;

import io.astaire.dataplane.config.TopologySource;
import io.astaire.dataplane.forward.ForwardingTable;
import io.astaire.dataplane.forward.Route;
import io.astaire.dataplane.function.FunctionRegistry;
import io.astaire.dataplane.resolve.DnsNameLookup;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.resolve.ResolvedHop;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.function.ServiceFunction;
import io.astaire.model.FunctionSpec;
import io.astaire.model.HopAddress;
import io.astaire.model.ServicePath;
import io.astaire.model.Topology;
import io.astaire.wire.GpeNshPacket;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service function node ({@code astaire sf}): runs some functions of the topology and forwards
 * NSH packets between them and the rest of the chain.
 *
 * <p>Workers (one per core by default) each own a socket bound with {@code SO_REUSEPORT} to the
 * listen address and a platform thread; see {@link Worker} for what happens to a packet. The
 * forwarding state is a {@link NodeState} behind one volatile reference, rebuilt off the packet
 * path when the {@link TopologySource} announces a new version. Operations (metrics, health,
 * readiness) are served by {@link OpsServer}.
 *
 * <p>Two modes: <em>topology</em> (the functions named with {@code --function}, their kinds,
 * configs and paths from the topology) and <em>fixed</em> (the benchmark's
 * {@code --kind ... --next ...}: apply the kinds in order to every packet and forward to one hop).
 */
public final class SfNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SfNode.class);

    private final Builder config;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HopResolver resolver;
    private final boolean ownsResolver;
    private final NodeCounters counters;
    private final LatencyHistogram latency;
    private final NodeMetrics metrics;
    private final List<Worker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Map<String, LocalFunction> functions = new LinkedHashMap<>();
    private final Map<String, FunctionSpec> functionSpecs = new HashMap<>();
    private final Map<String, PathStats> pathStats = new HashMap<>();
    private volatile NodeState state;
    private volatile boolean ready;
    private volatile boolean closed;
    private InetSocketAddress localAddress;
    private OpsServer ops;
    private Thread shutdownHook;

    private SfNode(Builder b) {
        this.config = b;
        this.counters = new NodeCounters(b.workers);
        this.latency = new LatencyHistogram(b.workers);
        if (b.resolver != null) {
            this.resolver = b.resolver;
            this.ownsResolver = false;
        } else {
            // A dual-stack (IPv6) socket can send to both families; an IPv4 one only to IPv4.
            DnsNameLookup.Family family = b.listen != null && b.listen.getAddress() instanceof Inet6Address
                    ? DnsNameLookup.Family.BOTH : DnsNameLookup.Family.IPV4;
            this.resolver = new HopResolver(new DnsNameLookup(b.dnsServer, family, Duration.ofSeconds(2)), b.resolverOptions);
            this.ownsResolver = true;
        }
        this.metrics = new NodeMetrics(meters, counters, latency, b.workers, () -> {
            NodeState s = state;
            return s == null ? -1 : s.version();
        });
        resolver.meters(meters); // astaire_next_hop_unreachable_total{replica}
    }

    public static Builder builder() {
        return new Builder();
    }

    // --- start -----------------------------------------------------------------------------------

    private SfNode start() {
        try {
            NodeState initial;
            InetSocketAddress listen = config.listen;
            if (config.topology != null) {
                TopologySource.Versioned v = config.topology.current();
                Topology t = v.topology();
                for (String name : config.functionNames) {
                    FunctionSpec spec = t.function(name);
                    if (spec == null) {
                        throw new IllegalArgumentException("--function: '" + name + "' is not a function of the topology (it has: "
                                + t.functions().stream().map(FunctionSpec::name).collect(Collectors.joining(", ")) + ")");
                    }
                    functions.put(name, instantiate(spec));
                    functionSpecs.put(name, spec);
                }
                if (listen == null) {
                    listen = new InetSocketAddress(InetAddress.getByAddress(new byte[4]), t.function(config.functionNames.getFirst()).address().port());
                }
                initial = buildState(v.version(), t);
            } else {
                Objects.requireNonNull(config.next, "fixed mode needs a next hop");
                List<LocalFunction> list = new ArrayList<>();
                Map<String, Integer> seen = new HashMap<>();
                for (String kind : config.kinds) {
                    int n = seen.merge(kind, 1, Integer::sum);
                    String name = n == 1 ? kind : kind + "-" + n;
                    HopAddress self = listen == null ? new HopAddress("0.0.0.0", 1) : new HopAddress(listen.getHostString(), Math.max(1, listen.getPort()));
                    FunctionSpec spec = new FunctionSpec(name, kind, config.kindConfigs.getOrDefault(kind, Map.of()), self, 1);
                    LocalFunction f = instantiate(spec);
                    functions.put(name, f);
                    list.add(f);
                }
                ResolvedHop next = resolver.hop(config.next);
                ForwardingTable<LocalFunction> table = ForwardingTable.fixed(list.toArray(LocalFunction[]::new),
                        list.stream().map(LocalFunction::name).toArray(String[]::new), next);
                PathStats any = pathStats.computeIfAbsent("any", k -> new PathStats(k, config.workers));
                metrics.path(any);
                initial = new NodeState(table, new PathStats[0], any);
                if (listen == null) {
                    throw new IllegalArgumentException("--listen is required with --kind");
                }
            }
            functions.values().forEach(metrics::function);
            awaitFirstAnswers(initial);
            state = initial;
            openWorkers(listen);
            if (config.metricsListen != null) {
                ops = new OpsServer(config.metricsListen, meters::scrape, () -> ready, this::notReadyBecause);
            }
            logStart(initial);
            if (config.topology != null) {
                config.topology.subscribe(v -> {
                    try {
                        apply(v);
                    } catch (RuntimeException e) {
                        LOG.error("topology version {} not applied, keeping version {}: {}", v.version(), state.version(), e.getMessage());
                    }
                });
            }
            ready = true;
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        } catch (Exception e) {
            close();
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private LocalFunction instantiate(FunctionSpec spec) {
        ServiceFunction f = config.functionFactory.apply(spec, meters);
        f.start();
        return new LocalFunction(spec.name(), spec.kind(), f, config.workers);
    }

    private NodeState buildState(long version, Topology topology) {
        ForwardingTable<LocalFunction> table = ForwardingTable.builder(LocalFunction[]::new)
                .localFunctions(functions).hops(resolver::hop).build(version, topology);
        List<ServicePath> paths = table.paths();
        PathStats[] stats = new PathStats[paths.size()];
        for (int i = 0; i < stats.length; i++) {
            String spi = Integer.toString(paths.get(i).spi());
            stats[i] = pathStats.computeIfAbsent(spi, k -> new PathStats(k, config.workers));
            metrics.path(stats[i]);
        }
        return new NodeState(table, stats, null);
    }

    private void awaitFirstAnswers(NodeState s) {
        // Names usually resolve in milliseconds; a slow DNS must not hold the node (packets to an
        // unresolved hop are counted as no_next_hop meanwhile).
        try {
            resolver.firstAnswers(s.table.nextHops()).get(config.firstResolveWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("some next hops are not resolved yet: {}", s.table.nextHops());
        }
    }

    private void openWorkers(InetSocketAddress listen) {
        if (listen.getPort() != 0) {
            // SO_REUSEPORT would let a second node on the same port silently take half the traffic:
            // a plain bind first fails if anyone (another node included) already holds the port.
            try (DatagramTransport probe = DatagramTransports.open(DatagramTransports.Kind.NIO,
                    TransportOptions.defaults(listen).withReusePort(false))) {
                probe.localAddress();
            } catch (RuntimeException e) {
                throw new IllegalStateException("UDP " + listen + " is already in use (another node on this port?): " + e.getMessage(), e);
            }
        }
        InetSocketAddress bind = listen;
        int headroom = GpeNshPacket.HEADROOM_MD1 + 32;
        InetSocketAddress peer = fixedPeer();
        for (int i = 0; i < config.workers; i++) {
            TransportOptions options = TransportOptions.defaults(bind).withReusePort(true)
                    .withOffload(config.offload).withSourcePorts(config.sourcePorts).withPeer(peer);
            DatagramTransport t = DatagramTransports.open(config.transport, options);
            if (i == 0) {
                localAddress = t.localAddress();
                bind = new InetSocketAddress(listen.getAddress(), localAddress.getPort()); // port 0 → the real one
            }
            Worker w = new Worker(i, t, () -> state, counters, latency,
                    new PacketBatch(config.batchSize, config.maxDatagram, headroom), resolver);
            workers.add(w);
        }
        metrics.offload(() -> workers.stream().anyMatch(w -> w.transport().gsoInUse()),
                () -> workers.stream().anyMatch(w -> w.transport().groInUse()));
        for (Worker w : workers) {
            Thread thread = Thread.ofPlatform().name("astaire-sf-worker-" + w.index()).daemon(false).unstarted(w);
            threads.add(thread);
            thread.start();
        }
    }

    /**
     * In fixed mode with a next hop given as an address (not a name that may resolve to several
     * replicas), the one destination the send sockets can be connected to; otherwise null.
     */
    private InetSocketAddress fixedPeer() {
        if (config.next == null) {
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.ofLiteral(config.next.host()), config.next.port());
        } catch (IllegalArgumentException notAnAddress) {
            return null;
        }
    }

    private void logStart(NodeState s) {
        LOG.info("sf node listening on UDP {} with {} worker(s) ({} transport, batches of {})", localAddress, workers.size(),
                DatagramTransports.effective(config.transport), config.batchSize);
        DatagramTransport first = workers.getFirst().transport();
        LOG.info("UDP offloads in use: GSO {}, GRO {} (--offload {}); sending from {} source port(s) per worker",
                first.gsoInUse() ? "yes" : "no", first.groInUse() ? "yes" : "no",
                config.offload.name().toLowerCase(java.util.Locale.ROOT), config.sourcePorts);
        LOG.info("functions: {}", functions.values());
        if (s.table.isStatic()) {
            LOG.info("fixed mode: every packet through {} then to {}", functions.keySet(), config.next);
        } else {
            LOG.info("topology version {}: {} path(s), routes here: {}", s.version(), s.table.paths().size(), describe(s.table));
        }
        if (ops != null) {
            LOG.info("operations on http://{}/ (metrics, healthz, readyz)", ops.address().getHostString() + ":" + ops.address().getPort());
        }
    }

    private static String describe(ForwardingTable<LocalFunction> table) {
        if (table.routes().isEmpty()) {
            return "none (no path goes through these functions)";
        }
        StringBuilder sb = new StringBuilder();
        for (Route<LocalFunction> r : table.routes()) {
            sb.append("\n  ").append(r);
        }
        return sb.toString();
    }

    private String notReadyBecause() {
        if (state == null) {
            return "no topology applied yet";
        }
        return closed ? "shutting down" : "starting";
    }

    // --- updates ---------------------------------------------------------------------------------

    /** Applies a newer topology: new table (and new instances of functions whose spec changed), swapped atomically. */
    synchronized void apply(TopologySource.Versioned v) {
        NodeState current = state;
        if (closed || current == null || current.table.isStatic() || v.version() <= current.version()) {
            return;
        }
        Topology t = v.topology();
        Map<String, LocalFunction> replaced = new HashMap<>();
        Map<String, LocalFunction> previous = new HashMap<>(functions);
        for (String name : config.functionNames) {
            FunctionSpec spec = t.function(name);
            if (spec == null) {
                LOG.warn("topology version {} no longer has function '{}'; this node keeps running it but no path reaches it", v.version(), name);
                continue;
            }
            FunctionSpec old = functionSpecs.get(name);
            if (!spec.kind().equals(old.kind()) || !spec.config().equals(old.config())) {
                LocalFunction fresh = instantiate(spec); // throws on bad config: the update is refused
                LocalFunction before = functions.get(name);
                if (spec.kind().equals(before.kind())) {
                    // same meters (same tags): keep counting in the same stripes
                    fresh = new LocalFunction(name, spec.kind(), fresh.function(), before.counters);
                }
                replaced.put(name, before);
                functions.put(name, fresh);
                functionSpecs.put(name, spec);
                metrics.function(fresh);
            }
        }
        NodeState next;
        try {
            next = buildState(v.version(), t);
        } catch (RuntimeException e) {
            functions.clear();
            functions.putAll(previous);
            throw e;
        }
        state = next;
        Set<HopAddress> used = new HashSet<>();
        next.table.nextHops().forEach(h -> used.add(h.name()));
        resolver.retainOnly(used);
        LOG.info("topology version {} applied: {} path(s), routes here: {}", v.version(), next.table.paths().size(), describe(next.table));
        if (!replaced.isEmpty()) {
            awaitWorkersOn(v.version());
            replaced.forEach((name, f) -> {
                LOG.info("function '{}' reconfigured; stopping its previous instance", name);
                stopQuietly(f);
            });
        }
    }

    /** Waits (bounded) until every worker started a batch with this version, so an old function is no longer in use. */
    private void awaitWorkersOn(long version) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Worker w : workers) {
            while (w.observedVersion() < version && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    // --- accessors -------------------------------------------------------------------------------

    /** Where the workers' sockets are bound. */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** Where /metrics is served, or null. */
    public InetSocketAddress metricsAddress() {
        return ops == null ? null : ops.address();
    }

    public boolean isReady() {
        return ready;
    }

    public MeterRegistry meters() {
        return meters;
    }

    /** The Prometheus text of /metrics. */
    public String scrape() {
        return meters.scrape();
    }

    public long topologyVersion() {
        NodeState s = state;
        return s == null ? -1 : s.version();
    }

    public long drops(DropReason reason) {
        return counters.drops(reason);
    }

    public HopResolver resolver() {
        return resolver;
    }

    /**
     * The node's main counters by name (for the controller's node status): {@code datagrams},
     * {@code forwarded}, {@code dropped.<reason>}, {@code <function>.processed}, {@code <function>.dropped}.
     */
    public Map<String, Long> counterSnapshot() {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("datagrams", counters.sum(NodeCounters.DATAGRAMS));
        long forwarded = 0;
        for (PathStats p : pathStats.values().toArray(PathStats[]::new)) {
            forwarded += p.sum(PathStats.PACKETS_OUT);
        }
        out.put("forwarded", forwarded);
        long malformed = counters.sum(NodeCounters.TRUNCATED);
        for (io.astaire.wire.WireError e : io.astaire.wire.WireError.values()) {
            malformed += counters.malformedDrops(e);
        }
        out.put("dropped.malformed", malformed);
        for (DropReason r : DropReason.values()) {
            if (r != DropReason.MALFORMED) {
                out.put("dropped." + r.label(), counters.drops(r));
            }
        }
        for (LocalFunction f : functions.values().toArray(LocalFunction[]::new)) {
            out.put(f.name() + ".processed", f.processed());
            out.put(f.name() + ".dropped", f.dropped());
        }
        return out;
    }

    /** The names of the functions this node runs. */
    public List<String> functionNames() {
        return List.copyOf(functions.keySet());
    }

    /** The worker threads (for tests that watch them, such as allocation checks). */
    List<Thread> workerThreads() {
        return List.copyOf(threads);
    }

    /** Stops cleanly when the JVM is asked to exit (SIGTERM, Ctrl-C). */
    public SfNode closeOnShutdown() {
        shutdownHook = new Thread(() -> {
            LOG.info("shutting down");
            close();
        }, "astaire-sf-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        return this;
    }

    /** Blocks until the node is closed. */
    public void awaitTermination() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }

    // --- shutdown --------------------------------------------------------------------------------

    /**
     * Graceful stop: workers stop receiving, send what they already processed, exit; then sockets
     * close, functions stop, the resolver and the HTTP server shut down.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ready = false;
        workers.forEach(Worker::stop);
        for (Thread t : threads) {
            try {
                t.join(2000); // a worker blocked in receive wakes at its receive timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        workers.forEach(w -> w.transport().close());
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        functions.values().forEach(SfNode::stopQuietly);
        if (config.topology != null && config.closeTopology) {
            config.topology.close();
        }
        if (ownsResolver) {
            resolver.close();
        }
        if (ops != null) {
            ops.close();
        }
        meters.close();
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // fine
            }
        }
        LOG.info("sf node stopped");
    }

    private static void stopQuietly(LocalFunction f) {
        try {
            f.function().stop();
        } catch (RuntimeException e) {
            LOG.warn("function '{}' failed to stop: {}", f.name(), e.toString());
        }
    }

    // --- builder ---------------------------------------------------------------------------------

    /** Everything a node needs; {@link #start()} validates, binds and starts it. */
    public static final class Builder {
        private InetSocketAddress listen;
        private int workers = Runtime.getRuntime().availableProcessors();
        private DatagramTransports.Kind transport = DatagramTransports.Kind.AUTO;
        private int batchSize = 64;
        private TransportOptions.Offload offload = TransportOptions.Offload.AUTO;
        private int sourcePorts = TransportOptions.DEFAULT_SOURCE_PORTS;
        private int maxDatagram = 9216;
        private InetSocketAddress metricsListen;
        private HopResolver resolver;
        private HopResolver.Options resolverOptions = HopResolver.Options.defaults();
        private InetSocketAddress dnsServer;
        private Duration firstResolveWait = Duration.ofSeconds(3);
        private TopologySource topology;
        private boolean closeTopology = true;
        private List<String> functionNames = List.of();
        private List<String> kinds = List.of();
        private final Map<String, Map<String, Object>> kindConfigs = new HashMap<>();
        private HopAddress next;
        private BiFunction<FunctionSpec, MeterRegistry, ServiceFunction> functionFactory;

        private Builder() {}

        /** UDP address to listen on; default: 0.0.0.0 and the port of the first function's address. */
        public Builder listen(InetSocketAddress address) {
            this.listen = address;
            return this;
        }

        public Builder workers(int n) {
            if (n < 1 || n > 256) {
                throw new IllegalArgumentException("--workers must be within 1-256, was " + n);
            }
            this.workers = n;
            return this;
        }

        public Builder transport(DatagramTransports.Kind kind) {
            this.transport = kind;
            return this;
        }

        /** Datagrams per system call. */
        public Builder batchSize(int n) {
            if (n < 1 || n > 1024) {
                throw new IllegalArgumentException("--batch must be within 1-1024, was " + n);
            }
            this.batchSize = n;
            return this;
        }

        /** Whether the native transport uses UDP GSO/GRO where the kernel has them (default auto). */
        public Builder offload(TransportOptions.Offload mode) {
            this.offload = Objects.requireNonNull(mode, "offload");
            return this;
        }

        /**
         * How many UDP source ports each worker sends from (default 8): flows spread over them so the
         * next hop's workers and ECMP spread them too; 1 sends from the listening port.
         */
        public Builder sourcePorts(int n) {
            if (n < 1 || n > TransportOptions.MAX_SOURCE_PORTS) {
                throw new IllegalArgumentException("--source-ports must be within 1-" + TransportOptions.MAX_SOURCE_PORTS + ", was " + n);
            }
            this.sourcePorts = n;
            return this;
        }

        public Builder maxDatagram(int bytes) {
            this.maxDatagram = bytes;
            return this;
        }

        /** Where to serve /metrics, /healthz, /readyz; null for nowhere. */
        public Builder metricsListen(InetSocketAddress address) {
            this.metricsListen = address;
            return this;
        }

        /** Share a resolver (tests, several nodes in one process); the node then does not close it. */
        public Builder resolver(HopResolver r) {
            this.resolver = r;
            return this;
        }

        public Builder resolverOptions(HopResolver.Options options) {
            this.resolverOptions = options;
            return this;
        }

        /** The DNS server to ask instead of /etc/resolv.conf's. */
        public Builder dnsServer(InetSocketAddress server) {
            this.dnsServer = server;
            return this;
        }

        /** Topology mode: run these functions of the topology. */
        public Builder topology(TopologySource source, List<String> functionNames) {
            if (functionNames.isEmpty()) {
                throw new IllegalArgumentException("--function: name at least one function of the topology to run");
            }
            this.topology = source;
            this.functionNames = List.copyOf(functionNames);
            return this;
        }

        /** Whether closing the node closes the topology source (default true). */
        public Builder closeTopology(boolean close) {
            this.closeTopology = close;
            return this;
        }

        /** Fixed mode: apply these kinds in order to every packet, forward everything to {@code next}. */
        public Builder fixed(List<String> kinds, HopAddress next) {
            if (kinds.isEmpty()) {
                throw new IllegalArgumentException("--kind: give at least one function kind");
            }
            this.kinds = List.copyOf(kinds);
            this.next = Objects.requireNonNull(next, "--next");
            return this;
        }

        /** Config of a kind in fixed mode (none by default). */
        public Builder kindConfig(String kind, Map<String, Object> config) {
            kindConfigs.put(kind, Map.copyOf(config));
            return this;
        }

        /** How a function of the topology becomes an instance; default: the built-ins and the class path's providers. */
        public Builder functionFactory(BiFunction<FunctionSpec, MeterRegistry, ServiceFunction> factory) {
            this.functionFactory = factory;
            return this;
        }

        public Builder functionRegistry(FunctionRegistry registry) {
            this.functionFactory = (spec, meters) -> registry.instantiate(spec, meters);
            return this;
        }

        /** Validates, creates the functions, binds the sockets and starts the workers. */
        public SfNode start() {
            if (topology == null && kinds.isEmpty()) {
                throw new IllegalArgumentException("give --topology/--controller with --function, or --kind with --next");
            }
            if (topology != null && !kinds.isEmpty()) {
                throw new IllegalArgumentException("--kind/--next (fixed mode) cannot be combined with --function (topology mode)");
            }
            if (functionFactory == null) {
                functionRegistry(FunctionRegistry.load());
            }
            if (maxDatagram < 64 || maxDatagram > 65535) {
                throw new IllegalArgumentException("max datagram must be within 64-65535, was " + maxDatagram);
            }
            return new SfNode(this).start();
        }
    }
}
