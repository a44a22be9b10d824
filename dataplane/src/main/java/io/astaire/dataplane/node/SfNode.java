package io.astaire.dataplane.node;

import io.astaire.dataplane.agent.AgentRunner;
import io.astaire.dataplane.agent.IdleStrategy;
import io.astaire.dataplane.config.TopologySource;
import io.astaire.dataplane.counters.CounterStripe;
import io.astaire.dataplane.counters.DropReason;
import io.astaire.dataplane.counters.StripedCounters;
import io.astaire.dataplane.forward.ForwardingTable;
import io.astaire.dataplane.function.FunctionRegistry;
import io.astaire.dataplane.oam.TraceReporter;
import io.astaire.dataplane.ops.RuntimeMeters;
import io.astaire.dataplane.resolve.DnsNameLookup;
import io.astaire.dataplane.resolve.NodeNameLookups;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.DefaultListen;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.SendHealth;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.dataplane.update.TopologyRejection;
import io.astaire.function.ServiceFunction;
import io.astaire.model.FunctionSpec;
import io.astaire.model.HopAddress;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.WireError;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service function node ({@code astaire sf}): runs some functions of the topology and forwards
 * NSH packets between them and the rest of the chain.
 *
 * <p>Three parts with one job each. The {@link NodeConductor} is the only writer of node state
 * (function instances, forwarding table, path counters, what the resolver keeps) and publishes it
 * as one immutable {@link NodeState}. {@link Worker}s (one per core by default, each with its own
 * {@code SO_REUSEPORT} socket) only read the published snapshot, once per batch; each runs under
 * an {@link AgentRunner} that owns its loop and what a failure costs. This class binds, starts and
 * stops them, and serves operations (metrics, health, readiness) through {@link OpsServer}.
 *
 * <p>Two modes: <em>topology</em> (the functions named with {@code --function}, their kinds,
 * configs and paths from the topology) and <em>fixed</em> (the benchmark's
 * {@code --kind ... --next ...}: apply the kinds in order to every packet and forward to one hop).
 */
public final class SfNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SfNode.class);

    private final Builder config;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RuntimeMeters runtimeMeters = RuntimeMeters.bind(meters, "sf");
    private final HopResolver resolver;
    private final boolean ownsResolver;
    private final StripedCounters counters;
    private final LatencyHistogram latency;
    private final NodeMetrics metrics;
    private final NodeConductor conductor;
    /** Where the workers bind and why (null only in fixed mode without --listen, refused at start). */
    private final DefaultListen.Choice listen;
    private final SendHealth sends;
    private final List<Worker> workers = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private volatile boolean ready;
    private volatile boolean closed;
    private InetSocketAddress localAddress;
    private volatile String traceAddress;
    private OpsServer ops;
    private Thread shutdownHook;

    private SfNode(Builder b) {
        this.config = b;
        this.counters = new StripedCounters(NodeCounts.LAYOUT, b.workers);
        this.latency = new LatencyHistogram(b.workers);
        this.listen = chooseListen(b);
        this.sends = new SendHealth("sf node", this::forwarded, () -> drops(DropReason.SEND_FAILED),
                this::lastSendError);
        if (b.resolver != null) {
            this.resolver = b.resolver;
            this.ownsResolver = false;
        } else {
            // A dual-stack (IPv6) socket can send to both families; an IPv4 one only to IPv4.
            DnsNameLookup.Family family = listen != null && listen.address().getAddress() instanceof Inet6Address
                    ? DnsNameLookup.Family.BOTH : DnsNameLookup.Family.IPV4;
            this.resolver = new HopResolver(NodeNameLookups.create(b.dnsServer, family, Duration.ofSeconds(2), System.getenv()), b.resolverOptions);
            this.ownsResolver = true;
        }
        this.metrics = new NodeMetrics(meters, counters, latency, b.workers, this::topologyVersion);
        this.conductor = new NodeConductor(b.workers, b.functionNames, b.functionFactory, meters, metrics, resolver, b.drain);
        resolver.meters(meters); // astaire_next_hop_unreachable_total{replica}
    }

    /**
     * {@code --listen}, else the first function's address from the topology when it is this host's
     * (see {@link DefaultListen}); null in fixed mode without {@code --listen} (refused at start).
     */
    private static DefaultListen.Choice chooseListen(Builder b) {
        if (b.listen != null) {
            return new DefaultListen.Choice(b.listen, "--listen", b.listen.getAddress().isAnyLocalAddress());
        }
        if (b.topology == null) {
            return null;
        }
        String first = b.functionNames.getFirst();
        FunctionSpec spec = b.topology.current().topology().function(first);
        if (spec == null) {
            return null; // the conductor refuses the unknown name with the list of known ones
        }
        return DefaultListen.forHop(spec.address(), "function '" + first + "'");
    }

    public static Builder builder() {
        return new Builder();
    }

    // --- start -----------------------------------------------------------------------------------

    private SfNode start() {
        try {
            NodeState initial;
            InetSocketAddress listen = this.listen == null ? null : this.listen.address();
            if (config.topology != null) {
                initial = conductor.startTopology(config.topology.current());
            } else {
                Objects.requireNonNull(config.next, "fixed mode needs a next hop");
                if (listen == null) {
                    throw new IllegalArgumentException("--listen is required with --kind");
                }
                List<FunctionSpec> specs = new ArrayList<>();
                Map<String, Integer> seen = new HashMap<>();
                HopAddress self = new HopAddress(listen.getHostString(), Math.max(1, listen.getPort()));
                for (String kind : config.kinds) {
                    int n = seen.merge(kind, 1, Integer::sum);
                    String name = n == 1 ? kind : kind + "-" + n;
                    specs.add(new FunctionSpec(name, kind, config.kindConfigs.getOrDefault(kind, Map.of()), self, 1));
                }
                initial = conductor.startFixed(specs, resolver.hop(config.next));
            }
            awaitFirstAnswers(initial);
            openWorkers(listen);
            if (config.metricsListen != null) {
                ops = new OpsServer(config.metricsListen, meters::scrape, this::isReady, this::notReadyBecause);
            }
            logStart(initial);
            if (config.topology != null) {
                config.topology.subscribe(conductor::apply);
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
                traceAddress = TraceReporter.addressOf(localAddress); // here, not per report: it may ask for the host's name
                bind = new InetSocketAddress(listen.getAddress(), localAddress.getPort()); // port 0 → the real one
            }
            CounterStripe stripe = counters.stripe(i);
            Worker w = new Worker(i, t, conductor::state, stripe, latency,
                    new PacketBatch(config.batchSize, config.maxDatagram, headroom), resolver,
                    new TraceReporter("sf", config.name, () -> traceAddress));
            workers.add(w);
            // A receive that throws is a turn that failed: counted, logged rate-limited, paused.
            runners.add(new AgentRunner(w, IdleStrategy.NONE, n -> stripe.add(NodeCounts.INTERNAL_ERRORS, n)));
        }
        conductor.attach(workers, runners);
        io.micrometer.core.instrument.FunctionCounter.builder("astaire.sf.unknown.generation", conductor,
                        c -> c.state() == null ? 0 : c.state().table.unknownGenerations())
                .description("packets stamped with a path generation this node does not know, routed by the current path")
                .register(meters);
        for (String outcome : List.of("answered", "refused")) {
            io.micrometer.core.instrument.FunctionCounter.builder("astaire.oam.echo", workers, ws -> ws.stream()
                            .mapToLong(w -> outcome.equals("answered") ? w.echo().answered() : w.echo().refused()).sum())
                    .description("NSH OAM echo requests this node answered, or refused (malformed, a reply, over the rate cap)")
                    .tag("outcome", outcome).register(meters);
        }
        TraceReporter.bindMeters(meters, io.micrometer.core.instrument.Tags.empty(), workers,
                ws -> ws.stream().map(Worker::tracer).toList());
        io.micrometer.core.instrument.Gauge.builder("astaire.sends.failing", sends, SendHealth::failing)
                .description("1 while every send to the next hops fails (the node is then not ready), else 0").register(meters);
        metrics.offload(() -> workers.stream().anyMatch(w -> w.transport().gsoInUse()),
                () -> workers.stream().anyMatch(w -> w.transport().groInUse()));
        runners.forEach(r -> r.start(false));
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
        LOG.info("sf node listening on UDP {} ({}) with {} worker(s) ({} transport, batches of {})", localAddress, listen.why(), workers.size(),
                DatagramTransports.effective(config.transport), config.batchSize);
        DatagramTransport first = workers.getFirst().transport();
        LOG.info("UDP offloads in use: GSO {}, GRO {} (--offload {}); sending from {} source port(s) per worker",
                first.gsoInUse() ? "yes" : "no", first.groInUse() ? "yes" : "no",
                config.offload.name().toLowerCase(java.util.Locale.ROOT), config.sourcePorts);
        LOG.info("functions: {}", s.functions);
        if (s.table.isStatic()) {
            LOG.info("fixed mode: every packet through {} then to {}", functionNames(), config.next);
        } else {
            LOG.info("topology version {}: {} path(s), routes here: {}", s.version(), s.table.paths().size(), NodeConductor.describe(s.table));
        }
        if (ops != null) {
            LOG.info("operations on http://{}/ (metrics, healthz, readyz)", ops.address().getHostString() + ":" + ops.address().getPort());
        }
    }

    /** A worker an Error ended, or null while all run. */
    private AgentRunner deadWorker() {
        for (AgentRunner r : runners) {
            if (r.fatal() != null) {
                return r;
            }
        }
        return null;
    }

    private String notReadyBecause() {
        if (closed) {
            return "shutting down";
        }
        AgentRunner dead = deadWorker();
        if (dead != null) {
            return dead.deathNotice() + "; restart the node";
        }
        String cannotSend = sends.problem();
        if (cannotSend != null) {
            return cannotSend;
        }
        return conductor.state() == null ? "no topology applied yet" : "starting";
    }

    // --- updates ---------------------------------------------------------------------------------

    /** Applies a newer topology (see {@link NodeConductor#apply}); for tests that drive updates directly. */
    void apply(TopologySource.Versioned v) {
        conductor.apply(v);
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

    /** True once started, until closed, and while every worker runs (an Error that ends one makes the node not ready). */
    public boolean isReady() {
        return ready && !closed && deadWorker() == null && sends.problem() == null;
    }

    /** Why {@link #isReady()} is false (as {@code /readyz} says it), or null when ready. */
    public String notReadyReason() {
        return isReady() ? null : notReadyBecause();
    }

    public MeterRegistry meters() {
        return meters;
    }

    /** The Prometheus text of /metrics. */
    public String scrape() {
        return meters.scrape();
    }

    public long topologyVersion() {
        NodeState s = conductor.state();
        return s == null ? -1 : s.version();
    }

    /**
     * The last topology version this node refused while it runs an older one (version, reason),
     * or null; for the node status report's {@code rejected} field.
     */
    public TopologyRejection rejection() {
        return conductor.rejection();
    }

    /** Turns of the workers' loops that threw outside a packet (counted, logged rate-limited, paused after). */
    public long internalErrors() {
        return counters.sum(NodeCounts.INTERNAL_ERRORS);
    }

    /** Drops for {@code reason} so far ({@link DropReason#MALFORMED}: every wire error and truncation). */
    public long drops(DropReason reason) {
        if (reason == DropReason.MALFORMED) {
            long malformed = counters.sum(NodeCounts.TRUNCATED);
            for (WireError e : WireError.values()) {
                if (e != WireError.OK) {
                    malformed += counters.sum(NodeCounts.malformed(e));
                }
            }
            return malformed;
        }
        return reason.atNode() ? counters.sum(NodeCounts.reason(reason)) : 0;
    }

    public HopResolver resolver() {
        return resolver;
    }

    /**
     * The node's main counters by name (for the controller's node status): {@code datagrams},
     * {@code forwarded}, {@code dropped.<reason>}, {@code <function>.processed}, {@code <function>.dropped}.
     * Read from one published snapshot: safe while an update runs.
     */
    public Map<String, Long> counterSnapshot() {
        NodeState s = conductor.state();
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("datagrams", counters.sum(NodeCounts.DATAGRAMS));
        out.put("bytes", counters.sum(NodeCounts.BYTES));
        // What a hop costs: the nanoseconds its packets spent in this node, and how many (a mean over any interval).
        out.put("latency.count", latency.count());
        out.put("latency.sum_ns", latency.sumNanos());
        out.put("forwarded", forwarded());
        out.put("dropped.malformed", drops(DropReason.MALFORMED));
        out.put("unknown_generation", s == null ? 0 : s.table.unknownGenerations());
        for (DropReason r : DropReason.values()) {
            if (r.atNode() && r != DropReason.MALFORMED) {
                out.put("dropped." + r.label(), drops(r));
            }
        }
        if (s != null) {
            for (LocalFunction f : s.functions) {
                out.put(f.name() + ".processed", f.processed());
                out.put(f.name() + ".dropped", f.dropped());
            }
            for (PathStats p : s.everyPath) {
                out.put("path." + p.spiLabel + ".packets", p.sum(PathStats.PACKETS_IN)); // per path: each chain's directions apart
            }
        }
        return out;
    }

    /** Why the kernel last refused a datagram on any worker's socket, or null. */
    private String lastSendError() {
        for (Worker w : workers) {
            String e = w.transport().lastSendError();
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /** Datagrams handed to the sockets for their next hops so far (sent or refused). */
    private long forwarded() {
        NodeState s = conductor.state();
        long forwarded = 0;
        if (s != null) {
            for (PathStats p : s.everyPath) {
                forwarded += p.sum(PathStats.PACKETS_OUT);
            }
        }
        return forwarded;
    }

    /** The names of the functions this node runs. */
    public List<String> functionNames() {
        NodeState s = conductor.state();
        return s == null ? List.of() : s.functions.stream().map(LocalFunction::name).toList();
    }

    /** The worker threads (for tests that watch them, such as allocation checks). */
    List<Thread> workerThreads() {
        return runners.stream().map(AgentRunner::thread).toList();
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
        for (AgentRunner r : runners) {
            Thread t = r.thread();
            if (t != null) {
                t.join();
            }
        }
    }

    // --- shutdown --------------------------------------------------------------------------------

    /**
     * Graceful stop: workers stop receiving, send what they already processed, exit; only then do
     * sockets close and functions stop (the workers' buffers and instances are freed after the
     * last worker left them, even when the closing thread is interrupted), then the resolver and
     * the HTTP server shut down.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ready = false;
        runners.forEach(AgentRunner::stop);
        // A worker blocked in receive wakes at its receive timeout; wait for every one for real.
        runners.forEach(AgentRunner::awaitStopped);
        workers.forEach(w -> w.transport().close());
        conductor.close();
        if (config.topology != null && config.closeTopology) {
            config.topology.close();
        }
        if (ownsResolver) {
            resolver.close();
        }
        if (ops != null) {
            ops.close();
        }
        runtimeMeters.close();
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
        private Duration drain = ForwardingTable.DEFAULT_DRAIN;
        private TopologySource topology;
        private boolean closeTopology = true;
        private List<String> functionNames = List.of();
        private String name;
        private List<String> kinds = List.of();
        private final Map<String, Map<String, Object>> kindConfigs = new HashMap<>();
        private HopAddress next;
        private BiFunction<FunctionSpec, MeterRegistry, ServiceFunction> functionFactory;

        private Builder() {}

        /**
         * UDP address to listen on; default: the first function's address in the topology when it
         * is one of this host's, every interface of its family when it is a name or not this host's
         * ({@link DefaultListen}).
         */
        public Builder listen(InetSocketAddress address) {
            this.listen = address;
            return this;
        }

        /** The node's name, as trace reports show it (default: none; reports then name its functions and address). */
        public Builder name(String nodeName) {
            this.name = nodeName;
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

        /**
         * How long routes of a path's previous generation stay after a change, for packets sent
         * on it before the edges switched (default 30 s; zero: none, a change may drop in-flight packets).
         */
        public Builder drain(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("--drain must not be negative, was " + d);
            }
            this.drain = d;
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
