package io.astaire.controller;

import io.astaire.model.ServicePath;
import io.astaire.model.Topology;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the current topology version is ready for the edges to send traffic by: make-before-break
 * at the controller. Nodes take every version at once; the edges originate (classify and send)
 * by the newest <em>ready</em> version only, so a flow moves to a new path only once every hop
 * of it has the path installed.
 *
 * <p>A path is identified by its SPI and its {@linkplain ServicePath#generation() generation}; the
 * version at which that generation became current is its {@code since}. The path is ready when
 * every live node that runs one of its functions reports a version of at least {@code since} and
 * each of its functions has at least one such node, and every live edge that terminates it (the
 * egress for a forward path, the ingress for a reverse one) does too. A version is ready when all
 * its paths are, or when the switch timeout passed since the first not-yet-ready version replaced
 * the last ready one (logged as a WARN naming the nodes that had not reported): a node that is
 * down or refuses a version must not hold every change back forever.
 *
 * <p>Re-evaluated on every registry version, every node report and at the timeout; a change of
 * the ready version wakes the topology watchers through the registry's {@link VersionWatch}.
 */
public final class PathReadiness implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PathReadiness.class);
    public static final Duration DEFAULT_SWITCH_TIMEOUT = Duration.ofSeconds(10);
    /** A node whose last report is older than this is not waited for (it reports every 10 s by default). */
    public static final Duration DEFAULT_LIVENESS = Duration.ofSeconds(35);

    /** What {@code GET /api/v1/topology/readiness} answers. */
    public record Status(long version, long readyVersion, boolean ready, List<String> waitingFor, Long switchesInMillis) {}

    private record Since(int generation, long version) {}

    private final Registry registry;
    private final NodeRegistry nodes;
    private final LongSupplier clock;
    private final ScheduledExecutorService timer;
    private volatile Duration switchTimeout = DEFAULT_SWITCH_TIMEOUT;
    private volatile Duration liveness = DEFAULT_LIVENESS;
    private final Map<Integer, Since> since = new HashMap<>();
    private long observedVersion = -1;
    private volatile long readyVersion = -1;
    /** {@code clock} when the first not-yet-ready version replaced the last ready one; -1 while ready. */
    private long pendingSince = -1;
    private List<String> waitingFor = List.of();
    private volatile boolean closed;

    public PathReadiness(Registry registry, NodeRegistry nodes) {
        this(registry, nodes, System::nanoTime);
    }

    PathReadiness(Registry registry, NodeRegistry nodes, LongSupplier nanoClock) {
        this.registry = registry;
        this.nodes = nodes;
        this.clock = nanoClock;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("path-readiness").unstarted(r));
        evaluate();
        watchRegistry();
    }

    /** How long the edges wait for slow nodes before they switch anyway (default 10 s). */
    public PathReadiness switchTimeout(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("--switch-timeout must not be negative, was " + timeout);
        }
        this.switchTimeout = timeout;
        evaluate();
        return this;
    }

    /** How recent a node's last report must be for the controller to wait for it (default 35 s). */
    public PathReadiness liveness(Duration window) {
        this.liveness = window;
        evaluate();
        return this;
    }

    public Duration switchTimeout() {
        return switchTimeout;
    }

    /** The newest version that was ready (-1 before the first). Never goes back while the registry does not. */
    public long readyVersion() {
        return readyVersion;
    }

    private void watchRegistry() {
        if (closed) {
            return;
        }
        registry.watch().next().thenRunAsync(() -> {
            evaluate();
            watchRegistry();
        }, timer);
    }

    /** Recomputes readiness from the registry and the node reports; call after every report. */
    public void evaluate() {
        long changedTo = -1;
        synchronized (this) {
            if (closed) {
                return;
            }
            RegistryState state = registry.state();
            long version = state.version();
            if (version < observedVersion) {
                // The store went back (restored): start over rather than wait for versions that will not come.
                since.clear();
                readyVersion = -1;
            }
            if (version != observedVersion) {
                track(state.topology(), version);
                observedVersion = version;
            }
            if (readyVersion >= version) {
                return;
            }
            long now = clock.getAsLong();
            List<String> missing = missing(state.topology());
            waitingFor = missing;
            if (missing.isEmpty()) {
                changedTo = version;
            } else {
                if (pendingSince < 0) {
                    pendingSince = now;
                }
                long waited = now - pendingSince;
                if (waited >= switchTimeout.toNanos()) {
                    LOG.warn("topology version {}: switching the edges after {} ms although not every hop reported it: {}",
                            version, TimeUnit.NANOSECONDS.toMillis(waited), String.join("; ", missing));
                    changedTo = version;
                } else {
                    schedule(switchTimeout.toNanos() - waited);
                }
            }
            if (changedTo >= 0) {
                readyVersion = changedTo;
                pendingSince = -1;
                waitingFor = List.of();
            }
        }
        if (changedTo >= 0) {
            LOG.info("topology version {} is ready: the edges send by it now", changedTo);
            registry.watch().publish(registry.state().version());
        }
    }

    private void schedule(long delayNanos) {
        if (!closed) {
            timer.schedule(this::evaluate, Math.max(1, delayNanos), TimeUnit.NANOSECONDS);
        }
    }

    /** Records, for every path of the topology, the version at which its current generation appeared. */
    private void track(Topology topology, long version) {
        Map<Integer, Since> next = new HashMap<>();
        for (ServicePath p : topology.paths()) {
            Since before = since.get(p.spi());
            int g = p.generation();
            next.put(p.spi(), before != null && before.generation() == g ? before : new Since(g, version));
        }
        since.clear();
        since.putAll(next);
    }

    /** What the current version still waits for, one entry per path and node; empty when it is ready. */
    private List<String> missing(Topology topology) {
        Instant liveAfter = Instant.now().minus(liveness);
        List<NodeRegistry.NodeStatus> live = new ArrayList<>();
        for (NodeRegistry.NodeStatus n : nodes.all()) {
            if (n.lastSeen() != null && Instant.parse(n.lastSeen()).isAfter(liveAfter)) {
                live.add(n);
            }
        }
        Set<String> out = new LinkedHashSet<>();
        for (ServicePath p : topology.paths()) {
            long need = since.get(p.spi()).version();
            Set<String> functions = new TreeSet<>();
            for (ServicePath.Hop h : p.hops()) {
                if (!h.endpoint()) {
                    functions.add(h.name());
                }
            }
            Set<String> covered = new TreeSet<>();
            String terminatingRole = p.reverse() ? "ingress" : "egress";
            for (NodeRegistry.NodeStatus n : live) {
                boolean runsOne = "sf".equals(n.role()) && n.functions().stream().anyMatch(functions::contains);
                boolean terminates = terminatingRole.equals(n.role());
                if (!runsOne && !terminates) {
                    continue;
                }
                boolean current = n.appliedVersion() != null && n.appliedVersion() >= need;
                if (!current) {
                    out.add("node " + n.name() + " (" + (runsOne ? String.join(",", n.functions()) : n.role()) + ") reports version "
                            + (n.appliedVersion() == null ? "none" : n.appliedVersion()) + ", path " + p.spi() + " needs " + need);
                } else if (runsOne) {
                    n.functions().stream().filter(functions::contains).forEach(covered::add);
                }
            }
            for (String f : functions) {
                if (!covered.contains(f)) {
                    out.add("no live node running '" + f + "' reports version " + need + " or later (path " + p.spi() + ")");
                }
            }
        }
        return List.copyOf(out);
    }

    /** For the readiness endpoint and {@code describe}. */
    public synchronized Status status() {
        long version = registry.state().version();
        Long switchesIn = null;
        if (readyVersion < version && pendingSince >= 0) {
            switchesIn = Math.max(0, TimeUnit.NANOSECONDS.toMillis(switchTimeout.toNanos() - (clock.getAsLong() - pendingSince)));
        }
        return new Status(version, readyVersion, readyVersion >= version, waitingFor, switchesIn);
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
    }
}
