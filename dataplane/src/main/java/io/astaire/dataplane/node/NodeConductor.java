package io.astaire.dataplane.node;

import io.astaire.dataplane.agent.AgentRunner;
import io.astaire.dataplane.config.TopologySource;
import io.astaire.dataplane.counters.StripedCounters;
import io.astaire.dataplane.forward.DrainTimer;
import io.astaire.dataplane.forward.ForwardingTable;
import io.astaire.dataplane.forward.Route;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.resolve.ResolvedHop;
import io.astaire.dataplane.update.RejectionKind;
import io.astaire.dataplane.update.TopologyRejection;
import io.astaire.dataplane.update.TopologyUpdates;
import io.astaire.function.ServiceFunction;
import io.astaire.model.FunctionSpec;
import io.astaire.model.HopAddress;
import io.astaire.model.ServicePath;
import io.astaire.model.Topology;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of a function node's state, a conductor in Aeron's sense: it creates and stops
 * function instances, builds forwarding tables, keeps the per-path counters, tells the resolver
 * which names to keep, and publishes everything the workers need as one immutable
 * {@link NodeState} through one volatile write. Workers and the status report only read
 * published snapshots.
 *
 * <p>An update is a transaction: everything of the new version (new instances of functions whose
 * kind or config changed, the table) is built first; one publication switches; what only the old
 * version used is stopped once no worker is on it any more. A refused update (a function's config
 * refused, an unknown kind, a topology that does not make a table) stops what it created, changes
 * nothing else, and is recorded ({@link #rejection()}, {@code astaire_topology_rejected_total}).
 */
final class NodeConductor {

    private static final Logger LOG = LoggerFactory.getLogger(NodeConductor.class);
    private static final long WAIT_LOG_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final int workerCount;
    private final List<String> functionNames;
    private final BiFunction<FunctionSpec, MeterRegistry, ServiceFunction> factory;
    private final MeterRegistry meters;
    private final NodeMetrics metrics;
    private final HopResolver resolver;
    private final TopologyUpdates updates = new TopologyUpdates();
    // Conductor-private; only this class (under its lock) reads or writes them.
    private final Map<String, FunctionSpec> functionSpecs = new HashMap<>();
    private final Map<String, PathStats> pathStats = new LinkedHashMap<>();
    /**
     * A function's counters by name and kind: every instance of that name and kind counts on in
     * them (one /metrics series however often it is reconfigured, or changes kind and back).
     */
    private final Map<String, StripedCounters> functionCounters = new HashMap<>();
    private List<Worker> workers = List.of();
    private List<AgentRunner> runners = List.of();
    private volatile NodeState state;
    private boolean closed;
    /** How long routes of a path's previous generation stay after a change (make-before-break). */
    private final Duration drain;
    private final DrainTimer drainTimer = new DrainTimer("astaire-sf-drain");

    NodeConductor(int workerCount, List<String> functionNames, BiFunction<FunctionSpec, MeterRegistry, ServiceFunction> factory,
                  MeterRegistry meters, NodeMetrics metrics, HopResolver resolver, Duration drain) {
        this.drain = drain;
        this.workerCount = workerCount;
        this.functionNames = List.copyOf(functionNames);
        this.factory = factory;
        this.meters = meters;
        this.metrics = metrics;
        this.resolver = resolver;
        updates.bind(meters, io.micrometer.core.instrument.Tags.empty());
    }

    /** The snapshot workers read; null before the first publication. */
    NodeState state() {
        return state;
    }

    /** The workers whose batches an update waits out before stopping what the old version used. */
    synchronized void attach(List<Worker> workers, List<AgentRunner> runners) {
        this.workers = List.copyOf(workers);
        this.runners = List.copyOf(runners);
    }

    // --- the first version -----------------------------------------------------------------------

    /** Topology mode: creates the named functions and the table of version {@code v}, and publishes them. */
    synchronized NodeState startTopology(TopologySource.Versioned v) {
        Topology t = v.topology();
        Map<String, LocalFunction> functions = new LinkedHashMap<>();
        try {
            for (String name : functionNames) {
                FunctionSpec spec = t.function(name);
                if (spec == null) {
                    throw new IllegalArgumentException("--function: '" + name + "' is not a function of the topology (it has: "
                            + t.functions().stream().map(FunctionSpec::name).collect(Collectors.joining(", ")) + ")");
                }
                functions.put(name, instantiate(spec));
                functionSpecs.put(name, spec);
            }
            return publish(buildState(v.version(), t, functions, new HashMap<>()));
        } catch (RuntimeException e) {
            functions.values().forEach(NodeConductor::stopQuietly);
            functionSpecs.clear();
            throw e;
        }
    }

    /** Fixed mode: the kinds in order, every packet to {@code next}. */
    synchronized NodeState startFixed(List<FunctionSpec> specs, ResolvedHop next) {
        List<LocalFunction> list = new ArrayList<>();
        try {
            for (FunctionSpec spec : specs) {
                list.add(instantiate(spec));
            }
        } catch (RuntimeException e) {
            list.forEach(NodeConductor::stopQuietly);
            throw e;
        }
        ForwardingTable<LocalFunction> table = ForwardingTable.fixed(list.toArray(LocalFunction[]::new),
                list.stream().map(LocalFunction::name).toArray(String[]::new), next);
        PathStats any = pathStats.computeIfAbsent("any", k -> new PathStats(k, workerCount));
        metrics.path(any);
        list.forEach(metrics::function);
        return publish(new NodeState(table, new PathStats[0], any, list, List.copyOf(pathStats.values())));
    }

    private LocalFunction instantiate(FunctionSpec spec) {
        ServiceFunction f = factory.apply(spec, meters);
        try {
            f.start();
        } catch (RuntimeException e) {
            stopQuietly(spec.name(), f);
            throw e;
        }
        StripedCounters counters = functionCounters.computeIfAbsent(spec.name() + '\u0000' + spec.kind(),
                k -> LocalFunction.newCounters(spec.name(), spec.kind(), workerCount));
        return new LocalFunction(spec.name(), spec.kind(), f, counters);
    }

    /**
     * The table of {@code version} over {@code functions}, with its paths' counters; paths new to
     * this node get counters in {@code newPaths}, committed only when the state is published.
     */
    private NodeState buildState(long version, Topology topology, Map<String, LocalFunction> functions, Map<String, PathStats> newPaths) {
        ForwardingTable<LocalFunction> table = buildTable(version, topology, functions);
        List<ServicePath> paths = table.paths();
        PathStats[] stats = new PathStats[paths.size()];
        for (int i = 0; i < stats.length; i++) {
            String spi = Integer.toString(paths.get(i).spi());
            PathStats known = pathStats.get(spi);
            stats[i] = known != null ? known : newPaths.computeIfAbsent(spi, k -> new PathStats(k, workerCount));
        }
        List<PathStats> every = new ArrayList<>(pathStats.values());
        every.addAll(newPaths.values());
        return new NodeState(table, stats, null, List.copyOf(functions.values()), every);
    }

    /**
     * The one place a node's forwarding table is built: routes of the paths' previous generations
     * stay beside the new ones for the drain time, bound to {@code functions}.
     */
    private ForwardingTable<LocalFunction> buildTable(long version, Topology topology, Map<String, LocalFunction> functions) {
        NodeState previous = state;
        return ForwardingTable.builder(LocalFunction[]::new)
                .localFunctions(functions).hops(resolver::hop)
                .retain(previous == null ? null : previous.table, drain).build(version, topology);
    }

    private NodeState publish(NodeState next) {
        for (PathStats p : next.everyPath) {
            if (pathStats.putIfAbsent(p.spiLabel, p) == null) {
                metrics.path(p);
            }
        }
        next.functions.forEach(metrics::function);
        state = next;
        return next;
    }

    // --- updates ---------------------------------------------------------------------------------

    /** Applies a newer topology as one transaction (see the class comment); never throws. */
    synchronized void apply(TopologySource.Versioned v) {
        NodeState current = state;
        if (closed || current == null || current.table.isStatic() || v.version() <= current.version()) {
            return;
        }
        Topology t = v.topology();
        Map<String, LocalFunction> running = new LinkedHashMap<>();
        current.functions.forEach(f -> running.put(f.name(), f));
        Map<String, LocalFunction> next = new LinkedHashMap<>(running);
        Map<String, FunctionSpec> nextSpecs = new HashMap<>(functionSpecs);
        List<LocalFunction> fresh = new ArrayList<>();
        List<LocalFunction> replaced = new ArrayList<>();
        NodeState built;
        try {
            for (String name : functionNames) {
                FunctionSpec spec = t.function(name);
                if (spec == null) {
                    LOG.warn("topology version {} no longer has function '{}'; this node keeps running it but no path reaches it",
                            v.version(), name);
                    continue;
                }
                FunctionSpec old = functionSpecs.get(name);
                if (spec.kind().equals(old.kind()) && spec.config().equals(old.config())) {
                    continue;
                }
                LocalFunction instance;
                try {
                    instance = instantiate(spec);
                } catch (RuntimeException e) {
                    refuse(v.version(), RejectionKind.ofFunction(e), e, current.version());
                    fresh.forEach(NodeConductor::stopQuietly);
                    return;
                }
                LocalFunction before = running.get(name);
                fresh.add(instance);
                replaced.add(before);
                next.put(name, instance);
                nextSpecs.put(name, spec);
            }
            try {
                built = buildState(v.version(), t, next, new HashMap<>());
            } catch (RuntimeException e) {
                refuse(v.version(), RejectionKind.BAD_TOPOLOGY, e, current.version());
                fresh.forEach(NodeConductor::stopQuietly);
                return;
            }
        } catch (RuntimeException e) {
            refuse(v.version(), RejectionKind.INTERNAL_ERROR, e, current.version());
            fresh.forEach(NodeConductor::stopQuietly);
            return;
        }
        // Commit: one publication, then the bookkeeping that only this thread reads.
        publish(built);
        drainTimer.schedule(built.table.earliestDrainDeadline(), this::removeDrainedRoutes);
        functionSpecs.clear();
        functionSpecs.putAll(nextSpecs);
        updates.applied();
        Set<HopAddress> used = new HashSet<>();
        built.table.nextHops().forEach(h -> used.add(h.name()));
        resolver.retainOnly(used);
        LOG.info("topology version {} applied: {} path(s), routes here: {}", v.version(), built.table.paths().size(), describe(built.table));
        if (!replaced.isEmpty()) {
            awaitWorkersOff(current.version());
            for (LocalFunction f : replaced) {
                LOG.info("function '{}' reconfigured; stopping its previous instance", f.name());
                stopQuietly(f);
            }
        }
    }

    /** The drain timer's call: publishes the table without the routes of old path generations that drained. */
    private synchronized void removeDrainedRoutes() {
        NodeState s = state;
        if (closed || s == null) {
            return;
        }
        ForwardingTable<LocalFunction> pruned = s.table.withoutExpired(System.nanoTime());
        if (pruned != s.table) {
            state = new NodeState(pruned, s.pathStats, s.staticStats, s.functions, s.everyPath);
            LOG.info("topology version {}: routes of previous path generations drained; {} still draining", s.version(),
                    pruned.retainedRoutes().size());
        }
        drainTimer.schedule(pruned.earliestDrainDeadline(), this::removeDrainedRoutes);
    }

    private void refuse(long version, RejectionKind kind, RuntimeException e, long running) {
        String reason = e.getMessage() == null ? e.toString() : e.getMessage();
        updates.rejected(LOG, "sf node", version, kind, reason, running);
        if (kind == RejectionKind.INTERNAL_ERROR) {
            LOG.error("the refused update's failure", e);
        }
    }

    /**
     * Waits until no worker processes a batch with {@code oldVersion} or older; workers between
     * batches hold no state. Waits as long as it takes (a worker's batch takes microseconds; one
     * that never ends is a hung function, logged every few seconds), skipping workers that died.
     */
    private void awaitWorkersOff(long oldVersion) {
        long start = System.nanoTime();
        long nextLog = start + WAIT_LOG_NANOS;
        boolean interrupted = false;
        for (int i = 0; i < workers.size(); i++) {
            Worker w = workers.get(i);
            Thread thread = i < runners.size() ? runners.get(i).thread() : null;
            while (w.usingVersion() <= oldVersion && thread != null && thread.isAlive()) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                if (System.nanoTime() - nextLog > 0) {
                    nextLog += WAIT_LOG_NANOS;
                    LOG.warn("{} is still on topology version {} after {} s; its old functions are stopped once it leaves it",
                            w.roleName(), oldVersion, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // --- reading ---------------------------------------------------------------------------------

    TopologyRejection rejection() {
        return updates.rejection();
    }

    TopologyUpdates updates() {
        return updates;
    }

    static String describe(ForwardingTable<LocalFunction> table) {
        if (table.routes().isEmpty()) {
            return "none (no path goes through these functions)";
        }
        StringBuilder sb = new StringBuilder();
        for (Route<LocalFunction> r : table.routes()) {
            sb.append("\n  ").append(r);
        }
        return sb.toString();
    }

    // --- shutdown --------------------------------------------------------------------------------

    /** Stops the functions of the published state; call once the workers have stopped. */
    synchronized void close() {
        closed = true;
        drainTimer.close();
        NodeState s = state;
        if (s != null) {
            s.functions.forEach(NodeConductor::stopQuietly);
        }
    }

    private static void stopQuietly(LocalFunction f) {
        stopQuietly(f.name(), f.function());
    }

    private static void stopQuietly(String name, ServiceFunction f) {
        try {
            f.stop();
        } catch (RuntimeException e) {
            LOG.warn("function '{}' failed to stop: {}", name, e.toString());
        }
    }
}
