package io.astaire.dataplane.edge;

import io.astaire.dataplane.agent.AgentRunner;
import io.astaire.dataplane.agent.IdleStrategy;
import io.astaire.dataplane.classify.Classifier;
import io.astaire.dataplane.classify.ClassifierTooLargeException;
import io.astaire.dataplane.classify.RuleHitLedger;
import io.astaire.dataplane.config.TopologySource;
import io.astaire.dataplane.counters.DropReason;
import io.astaire.dataplane.forward.DrainTimer;
import io.astaire.dataplane.forward.ForwardingTable;
import io.astaire.dataplane.oam.TraceReporter;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.resolve.ResolvedHop;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.DefaultListen;
import io.astaire.dataplane.transport.SendHealth;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions.Offload;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.dataplane.tun.TunDevice;
import io.astaire.dataplane.tun.TunIo;
import io.astaire.dataplane.tun.TunMtu;
import io.astaire.dataplane.tun.TunOffloads;
import io.astaire.dataplane.update.RejectionKind;
import io.astaire.dataplane.update.TopologyRejection;
import io.astaire.dataplane.update.TopologyUpdates;
import io.astaire.model.EndpointSpec;
import io.astaire.model.FunctionSpec;
import io.astaire.model.HopAddress;
import io.astaire.model.Topology;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ingress or an egress: a TUN device on one side, the overlay on the other.
 *
 * <p>From the TUN device, each worker classifies packets to the paths this edge originates
 * (forward paths at the ingress, reverse paths at the egress), encapsulates them in place and
 * sends them to the path's first hop. From the network, each receiving worker delivers the inner
 * packets of paths that end here to the TUN device. The device's MTU is the underlay's minus the
 * encapsulation (60 bytes over IPv4, 80 over IPv6), so a packet the kernel hands us always fits
 * the underlay once wrapped.
 *
 * <p>Topology updates rebuild the tables (routes and classifier rules together, {@link EdgeTables})
 * off the packet path and publish them with one volatile write; workers read them once per batch.
 * A topology that does not build is refused: the edge keeps what it runs and says so
 * ({@link #rejection()}, {@code astaire_topology_rejected_total}). Each worker runs under an
 * {@link AgentRunner}; one that an {@link Error} ended makes the edge not ready.
 */
public final class EdgeNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EdgeNode.class);
    /** Room in front of every packet read from the TUN device for the headers written in place. */
    public static final int HEADROOM = 64;
    private static final int MAX_DATAGRAM = 65535;
    private static final int EBADFD = 77;

    private final EdgeConfig config;
    private final TopologySource source;
    private final HopResolver resolver;
    private final EdgeStats stats = new EdgeStats();
    private final List<DatagramTransport> transports = new ArrayList<>();
    private final SendHealth sends = new SendHealth("edge", () -> stats.sent() + stats.drops(DropReason.SEND_FAILED),
            () -> stats.drops(DropReason.SEND_FAILED), SendHealth.lastErrorOf(transports));
    private final List<TunIo> tunIos = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final List<TunToNetworkWorker> tunWorkers = new ArrayList<>();
    private final List<NetworkToTunWorker> netWorkers = new ArrayList<>();
    private final TopologyUpdates updates = new TopologyUpdates();
    private volatile EdgeTables tables;
    private RuleHitLedger ruleHits;
    private TunDevice tun;
    private int tunMtu;
    private String underlayDevice;
    private InetSocketAddress localAddress;
    private volatile String traceAddress;
    private volatile boolean ready;
    private volatile boolean closed;

    private final Duration drain;
    private final DrainTimer drainTimer;

    private EdgeNode(EdgeConfig config, TopologySource source, HopResolver resolver, Duration drain) {
        this.config = config;
        this.source = source;
        this.resolver = resolver;
        this.drain = drain;
        this.drainTimer = new DrainTimer(config.role().label() + "-drain");
    }

    /**
     * Starts an edge: reads the topology, resolves the first hops, opens the sockets and the TUN
     * device (in the calling thread's network namespace), starts the workers.
     *
     * @param resolver resolves hop names off the packet path; closed with the edge
     */
    public static EdgeNode start(EdgeConfig config, TopologySource source, HopResolver resolver) {
        return start(config, source, resolver, ForwardingTable.DEFAULT_DRAIN);
    }

    /**
     * @param drain how long routes of a path's previous generation stay for packets still in
     *     flight after a change (see {@link ForwardingTable})
     */
    public static EdgeNode start(EdgeConfig config, TopologySource source, HopResolver resolver, Duration drain) {
        EdgeNode node = new EdgeNode(config, source, resolver, drain);
        try {
            node.open();
            return node;
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
    }

    private void open() {
        TopologySource.Versioned v = source.current();
        EdgeTables t = buildTables(v);
        tables = t;
        ruleHits = new RuleHitLedger(t.hits(), this::oldestHitsInUse);
        awaitFirstAnswers(t);

        int underlayMtu;
        boolean ipv6Underlay;
        if (config.underlayMtu() != null) {
            underlayMtu = config.underlayMtu();
            ipv6Underlay = firstHopAddress(t) instanceof Inet6Address;
            underlayDevice = "(given)";
        } else {
            // The first hop we send to; an edge that originates nothing (an egress of one-way chains
            // only) takes the way to the functions that send to it, then the default route.
            InetAddress probe = firstHopAddress(t);
            if (probe == null) {
                probe = functionAddress(v.topology());
            }
            TunMtu.Route route = TunMtu.routeTo(probe == null ? InetAddress.ofLiteral("0.0.0.0") : probe);
            underlayMtu = route.mtu();
            ipv6Underlay = probe instanceof Inet6Address;
            underlayDevice = route.device();
        }
        tunMtu = TunMtu.tunMtu(underlayMtu, ipv6Underlay);
        if (tunMtu < 1280) {
            LOG.warn("TUN MTU {} is below IPv6's minimum of 1280: the kernel disables IPv6 on {}; raise the underlay MTU to carry IPv6",
                    tunMtu, config.tunName());
        }

        DefaultListen.Choice chosen = config.listen() != null
                ? new DefaultListen.Choice(config.listen(), "--listen", config.listen().getAddress().isAnyLocalAddress())
                : defaultListen(config.role(), v.topology());
        InetSocketAddress listen = chosen.address();
        int workers = config.workers();
        for (int i = 0; i < workers; i++) {
            DatagramTransport rx = DatagramTransports.open(config.transport(),
                    TransportOptions.defaults(listen).withReusePort(workers > 1).withOffload(config.offload()));
            transports.add(rx);
            if (i == 0) {
                localAddress = rx.localAddress();
                traceAddress = TraceReporter.addressOf(localAddress); // here, not per report: it may ask for the host's name
                if (listen.getPort() == 0) {
                    listen = localAddress; // the other workers share the port the first one got
                }
            }
        }
        tun = TunDevice.openConfigured(config.tunName(), workers, tunMtu, config.tunAddresses(), config.offload() == Offload.AUTO);
        boolean vnetHeader = tun.vnetHeader();

        InetSocketAddress sendFrom = new InetSocketAddress(listen.getAddress(), 0);
        String role = config.role().label();
        for (int i = 0; i < workers; i++) {
            TunIo readIo = tun.queue(i).newIo();
            TunIo writeIo = tun.queue(i).newIo();
            tunIos.add(readIo);
            tunIos.add(writeIo);
            DatagramTransport tx = DatagramTransports.open(config.transport(),
                    TransportOptions.defaults(sendFrom).withReusePort(false).withOffload(config.offload())
                            .withSourcePorts(config.sourcePorts()));
            transports.add(tx);
            EdgeWorkerCounts outCounts = stats.newWorker();
            TunToNetworkWorker out = new TunToNetworkWorker(role + "-tun-" + i, readIo, vnetHeader, tx,
                    new PacketBatch(config.batchSize(), MAX_DATAGRAM, HEADROOM), this::tables,
                    new Classifier(config.flowCacheSize()), i, outCounts,
                    (destination, errno) -> resolver.markUnreachable(destination));
            EdgeWorkerCounts inCounts = stats.newWorker();
            NetworkToTunWorker in = new NetworkToTunWorker(role + "-net-" + i, transports.get(i), writeIo, vnetHeader,
                    new PacketBatch(config.batchSize(), MAX_DATAGRAM, 0), this::tables, inCounts,
                    new EdgeTrace(config.role(), new TraceReporter(role, null, () -> traceAddress)));
            tunWorkers.add(out);
            netWorkers.add(in);
            runners.add(new AgentRunner(out, out::idle, n -> outCounts.add(EdgeWorkerCounts.INTERNAL_ERRORS, n)));
            // The network side blocks in its receive (with a timeout): nothing to do between turns.
            runners.add(new AgentRunner(in, IdleStrategy.NONE, n -> inCounts.add(EdgeWorkerCounts.INTERNAL_ERRORS, n)));
        }
        runners.forEach(r -> r.start(true));
        source.subscribe(this::apply);
        ready = true;
        LOG.info("TUN {}: {}; UDP: GSO {}, GRO {}, {} source port(s) per worker", tun.name(), tun.offloads().describe(),
                udpGsoInUse() ? "on" : "off", udpGroInUse() ? "on" : "off", config.sourcePorts());
        LOG.info("{} ready: TUN {} (MTU {} = underlay {} via {} - {} bytes of encapsulation, {} queue(s)), listening on {}, topology v{}",
                role, tun.name(), tunMtu, underlayMtu, underlayDevice, underlayMtu - tunMtu, workers,
                localAddress + " (" + chosen.why() + ")", v.version());
    }

    private void awaitFirstAnswers(EdgeTables t) {
        Set<ResolvedHop> hops = t.forwarding().nextHops();
        try {
            resolver.firstAnswers(hops).get(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            LOG.warn("some first hops are not resolved yet: {}; their packets are dropped (no_route) until they are", hops);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warn("resolving first hops failed: {}", e.getCause().getMessage());
        }
    }

    private static InetAddress firstHopAddress(EdgeTables t) {
        for (ResolvedHop hop : t.forwarding().nextHops()) {
            Endpoint e = hop.replicas().first();
            if (e != null) {
                return e.address().getAddress();
            }
        }
        return null;
    }

    private static InetAddress functionAddress(Topology topology) {
        for (FunctionSpec f : topology.functions()) {
            try {
                return InetAddress.ofLiteral(f.address().host());
            } catch (IllegalArgumentException e) {
                // a name: not resolved here, try the next one
            }
        }
        return null;
    }

    /**
     * Without {@code --listen}: the edge's own address in the topology when it is one of this host's
     * ({@link DefaultListen}); an edge the topology gives no address listens on every interface of
     * the family its functions use, on the NSH port.
     */
    static DefaultListen.Choice defaultListen(EdgeRole role, Topology topology) {
        EndpointSpec self = role == EdgeRole.INGRESS ? topology.ingress() : topology.egress();
        if (self != null && self.address() != null) {
            return DefaultListen.forHop(self.address(), "the " + role.label());
        }
        InetAddress functions = functionAddress(topology);
        boolean ipv6 = functions instanceof Inet6Address;
        return new DefaultListen.Choice(new InetSocketAddress(DefaultListen.wildcard(ipv6), HopAddress.VXLAN_GPE_PORT),
                "the topology gives the " + role.label() + " no address: every " + (ipv6 ? "IPv6" : "IPv4") + " interface", true);
    }

    /** The one place an edge's tables are built (routes and rules of one version, together). */
    private EdgeTables buildTables(TopologySource.Versioned v) {
        return EdgeTables.build(config.role(), v, tables, drain, resolver, config.classifierLimit(), config.workers());
    }

    /** The oldest generation of rule hit counters a worker may still count in. */
    private long oldestHitsInUse() {
        long oldest = Long.MAX_VALUE;
        for (TunToNetworkWorker w : tunWorkers) {
            oldest = Math.min(oldest, w.hitsGenerationInUse());
        }
        return oldest;
    }

    /** Builds the new version's tables and switches with one publication; a failure changes nothing. */
    private synchronized void apply(TopologySource.Versioned v) {
        EdgeTables current = tables;
        if (closed || !current.olderThan(v)) {
            return;
        }
        EdgeTables next;
        try {
            next = buildTables(v);
        } catch (ClassifierTooLargeException e) {
            updates.rejected(LOG, config.role().label(), v.version(), RejectionKind.CLASSIFIER_TOO_LARGE, e.getMessage(), current.version());
            return;
        } catch (RuntimeException e) {
            updates.rejected(LOG, config.role().label(), v.version(), RejectionKind.BAD_TOPOLOGY,
                    e.getMessage() == null ? e.toString() : e.getMessage(), current.version());
            return;
        }
        Set<HopAddress> keep = new HashSet<>();
        for (ResolvedHop h : next.forwarding().nextHops()) {
            keep.add(h.name());
        }
        tables = next;
        ruleHits.publish(next.hits());
        drainTimer.schedule(next.forwarding().earliestDrainDeadline(), this::removeDrainedRoutes);
        updates.applied();
        resolver.retainOnly(keep);
        LOG.info("{} applied topology v{}{}: {} rules, {} routes", config.role().label(), v.version(),
                v.originPending() ? " (originating v" + v.originVersion() + " until the controller reports v" + v.version() + " ready)" : "",
                next.rules().size(), next.forwarding().routes().size());
    }

    /**
     * The last topology version this edge refused while it runs an older one (version, reason),
     * or null; for the status report's {@code rejected} field.
     */
    public TopologyRejection rejection() {
        return updates.rejection();
    }

    TopologyUpdates updates() {
        return updates;
    }

    /** The workers' threads (for tests that watch them). */
    List<Thread> workerThreads() {
        return runners.stream().map(AgentRunner::thread).toList();
    }

    private synchronized void removeDrainedRoutes() {
        EdgeTables t = tables;
        if (closed || t == null) {
            return;
        }
        EdgeTables pruned = t.withoutExpired(System.nanoTime());
        if (pruned != t) {
            tables = pruned;
            LOG.info("{}: routes of previous path generations drained; {} still draining", config.role().label(),
                    pruned.forwarding().retainedRoutes().size());
        }
        drainTimer.schedule(pruned.forwarding().earliestDrainDeadline(), this::removeDrainedRoutes);
    }

    EdgeTables tables() {
        return tables;
    }

    /** Packets classified by each rule and chain, carried over rule-set changes by name. */
    public RuleHitLedger ruleHits() {
        return ruleHits;
    }

    /** The workers that classify (one per TUN queue), for per-worker metrics. */
    List<TunToNetworkWorker> classifyingWorkers() {
        return tunWorkers;
    }

    /**
     * True once the TUN device is up, the sockets are bound and a topology is applied, and as long
     * as the device has not been deleted under the edge.
     */
    public boolean ready() {
        if (!ready || closed) {
            return false;
        }
        for (TunToNetworkWorker w : tunWorkers) {
            if (w.lastReadError() == EBADFD) {
                return false;
            }
        }
        return stoppedWorker() == null && sends.problem() == null;
    }

    /** The trace reporters of the network workers (for /metrics). */
    public List<TraceReporter> traceReporters() {
        return netWorkers.stream().map(w -> w.trace().reporter()).toList();
    }

    /** OAM echo requests the edge answered ({@code answered}) or refused, over its network workers. */
    public long echoes(boolean answered) {
        long n = 0;
        for (NetworkToTunWorker w : netWorkers) {
            n += answered ? w.echo().answered() : w.echo().refused();
        }
        return n;
    }

    /** Whether every send failed lately (see {@link SendHealth}); for a gauge. */
    public SendHealth sendHealth() {
        return sends;
    }

    /** A worker an Error stopped, or null while all run. */
    private AgentRunner stoppedWorker() {
        for (AgentRunner r : runners) {
            if (r.fatal() != null) {
                return r;
            }
        }
        return null;
    }

    /** Why the edge is not ready, for {@code /readyz}. */
    public String notReadyReason() {
        if (closed) {
            return "the edge is stopping";
        }
        if (!ready) {
            return "starting";
        }
        AgentRunner stopped = stoppedWorker();
        if (stopped != null) {
            return stopped.deathNotice() + "; restart the edge";
        }
        String cannotSend = sends.problem();
        if (cannotSend != null) {
            return cannotSend;
        }
        return "TUN device " + tun.name() + " was deleted; restart the edge";
    }

    public EdgeStats stats() {
        return stats;
    }

    public EdgeRole role() {
        return config.role();
    }

    /** The TUN device's MTU as set. */
    public int tunMtu() {
        return tunMtu;
    }

    public String tunName() {
        return tun.name();
    }

    /** True while any of the edge's sockets sends with UDP GSO (it turns itself off after an EIO). */
    public boolean udpGsoInUse() {
        return transports.stream().anyMatch(DatagramTransport::gsoInUse);
    }

    /** True while any of the edge's sockets receives with UDP GRO. */
    public boolean udpGroInUse() {
        return transports.stream().anyMatch(DatagramTransport::groInUse);
    }

    /** What the TUN device got: a virtio_net_hdr or not, and the offloads the kernel accepted. */
    public TunOffloads offloads() {
        return tun == null ? TunOffloads.NONE : tun.offloads();
    }

    /** Where paths ending here arrive. */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** The topology version the workers use now. */
    public long appliedVersion() {
        return tables.version();
    }

    /** Stops the workers and waits for them, then closes the sockets, the TUN device (removing it if we created it) and the resolver. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ready = false;
        drainTimer.close();
        runners.forEach(AgentRunner::stop);
        // Both sides wake within 100 ms (receive timeout, TUN poll timeout). Wait for every worker
        // for real, even when this thread is interrupted: sockets, TUN descriptors and their
        // native buffers are freed only once no worker can touch them.
        runners.forEach(AgentRunner::awaitStopped);
        transports.forEach(DatagramTransport::close);
        if (tun != null) {
            tun.close();
        }
        tunIos.forEach(TunIo::close);
        resolver.close();
    }
}
