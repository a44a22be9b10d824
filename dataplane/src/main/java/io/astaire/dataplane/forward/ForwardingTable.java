package io.astaire.dataplane.forward;

import io.astaire.dataplane.resolve.ResolvedHop;
import io.astaire.model.HopAddress;
import io.astaire.model.ServicePath;
import io.astaire.model.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * An immutable snapshot of where packets go: (SPI, SI) → {@link Route}. Built off the packet
 * path from a {@link Topology} and what this process hosts, then published through a volatile
 * reference; a worker reads the reference once per batch, so every packet of a batch sees one
 * consistent table and an update never half-applies.
 *
 * <p>The same table serves every role: a service function node hosts functions (routes at their
 * hops, applying runs of consecutive local functions in one pass); an ingress
 * {@linkplain Builder#originate originates} paths (SI 255 → first hop) and terminates reverse
 * paths; an egress terminates forward paths and originates reverse ones.
 *
 * <p><b>Make-before-break.</b> A table built {@linkplain Builder#retain retaining} the previous one
 * keeps, next to each current route, the routes of earlier {@linkplain ServicePath#generation()
 * generations} of its path (and of paths that left the topology) until their drain deadline, so a
 * packet sent on the path it was classified to before a change still finds the hops of that path.
 * {@link #route(int, int, int)} picks by the generation the packet carries. Retained routes are
 * re-bound at every build to the owner's current function instances and next hops, so an instance
 * replaced by a config change is never reached through an old route.
 *
 * @param <F> what a local function is to the owner (the node's {@code ServiceFunction})
 */
public final class ForwardingTable<F> {

    /** Default time a route of a previous path generation is kept for packets still in flight. */
    public static final Duration DEFAULT_DRAIN = Duration.ofSeconds(30);

    private final long version;
    private final List<ServicePath> paths;
    private final IntObjectMap<Slot<F>> routes;
    private final List<Route<F>> routeList;
    private final List<Route<F>> retainedList;
    private final Route<F> staticRoute;
    private final LongAdder unknownGenerations;

    /** What one (SPI, SI) leads to: the current route (null when only retained ones remain) and older generations. */
    static final class Slot<F> {
        final Route<F> current;
        final Route<F>[] older;

        Slot(Route<F> current, Route<F>[] older) {
            this.current = current;
            this.older = older;
        }
    }

    private ForwardingTable(long version, List<ServicePath> paths, IntObjectMap<Slot<F>> routes,
                            List<Route<F>> routeList, List<Route<F>> retainedList, Route<F> staticRoute,
                            LongAdder unknownGenerations) {
        this.version = version;
        this.paths = paths;
        this.routes = routes;
        this.routeList = routeList;
        this.retainedList = retainedList;
        this.staticRoute = staticRoute;
        this.unknownGenerations = unknownGenerations;
    }

    static int key(int spi, int si) {
        return (spi << 8) | (si & 0xff);
    }

    /** The current route for a packet, or null when this process has nothing to do with (SPI, SI). */
    public Route<F> route(int spi, int si) {
        return route(spi, si, 0);
    }

    /**
     * The route for a packet of path generation {@code generation}: the route of that generation
     * when this table has one at (SPI, SI), the current route for generation 0 (unversioned), and
     * the current route, {@linkplain #unknownGenerations() counted}, for a generation it does not
     * know there; null when nothing routes (SPI, SI). Allocates nothing.
     */
    public Route<F> route(int spi, int si, int generation) {
        Route<F> s = staticRoute;
        if (s != null) {
            return s;
        }
        Slot<F> slot = routes.get(key(spi, si));
        if (slot == null) {
            return null;
        }
        Route<F> current = slot.current;
        if (generation == 0 || (current != null && current.generation() == generation)) {
            return current;
        }
        return olderOrCurrent(slot, generation);
    }

    // The rare path in its own method keeps route() short enough to inline.
    private Route<F> olderOrCurrent(Slot<F> slot, int generation) {
        for (Route<F> r : slot.older) {
            if (r.generation() == generation) {
                return r;
            }
        }
        unknownGenerations.increment();
        return slot.current;
    }

    /**
     * Packets that carried a path generation this table had no route of at their (SPI, SI) and
     * went by the current route; carried over from table to table, so it counts since start.
     */
    public long unknownGenerations() {
        return unknownGenerations.sum();
    }

    /** Routes of previous path generations kept until they drain. */
    public List<Route<F>> retainedRoutes() {
        return retainedList;
    }

    /** The {@link System#nanoTime()} at which the first retained route expires; {@link Long#MAX_VALUE} when none. */
    public long earliestDrainDeadline() {
        long min = Long.MAX_VALUE;
        for (Route<F> r : retainedList) {
            min = Math.min(min, r.drainDeadline());
        }
        return min;
    }

    /**
     * This table without the retained routes whose deadline is at or before {@code nowNanos}, or
     * this table itself when none expired. Same version, same paths (so path indexes stay valid),
     * same function instances: only for the owner's expiry timer, between two builds.
     */
    public ForwardingTable<F> withoutExpired(long nowNanos) {
        List<Route<F>> keep = new ArrayList<>();
        for (Route<F> r : retainedList) {
            if (r.drainDeadline() > nowNanos) {
                keep.add(r);
            }
        }
        if (keep.size() == retainedList.size() || isStatic()) {
            return this;
        }
        return new ForwardingTable<>(version, paths, index(routeList, keep), routeList,
                Collections.unmodifiableList(keep), null, unknownGenerations);
    }

    private static <F> IntObjectMap<Slot<F>> index(List<Route<F>> current, List<Route<F>> retained) {
        Map<Integer, Route<F>> cur = new LinkedHashMap<>();
        Map<Integer, List<Route<F>>> old = new LinkedHashMap<>();
        for (Route<F> r : current) {
            cur.put(key(r.path().spi(), r.si()), r);
        }
        for (Route<F> r : retained) {
            old.computeIfAbsent(key(r.path().spi(), r.si()), k -> new ArrayList<>()).add(r);
        }
        Set<Integer> keys = new LinkedHashSet<>(cur.keySet());
        keys.addAll(old.keySet());
        IntObjectMap<Slot<F>> map = new IntObjectMap<>(Math.max(1, keys.size()));
        for (int k : keys) {
            List<Route<F>> o = old.getOrDefault(k, List.of());
            @SuppressWarnings("unchecked")
            Route<F>[] arr = o.toArray(new Route[0]);
            map.put(k, new Slot<>(cur.get(k), arr));
        }
        return map;
    }

    public long version() {
        return version;
    }

    /**
     * The topology's paths (empty for a static table), then the paths of retained routes whose SPI
     * left the topology; {@link Route#pathIndex()} indexes this (a retained route of an SPI still
     * in the topology has the index of its current path, so per-SPI counters stay per SPI).
     */
    public List<ServicePath> paths() {
        return paths;
    }

    public List<Route<F>> routes() {
        return routeList;
    }

    /** Every hop this table sends to. */
    public Set<ResolvedHop> nextHops() {
        Set<ResolvedHop> hops = new LinkedHashSet<>();
        for (Route<F> r : routeList) {
            if (r.next() != null) {
                hops.add(r.next());
            }
        }
        for (Route<F> r : retainedList) {
            if (r.next() != null) {
                hops.add(r.next());
            }
        }
        return hops;
    }

    /** Whether this is a static table (same route for every packet). */
    public boolean isStatic() {
        return staticRoute != null;
    }

    /**
     * A table without topology: every packet, whatever its SPI and SI, gets {@code functions}
     * and goes to {@code next}. The benchmark's and quick tries' {@code --kind ... --next ...}.
     */
    public static <F> ForwardingTable<F> fixed(F[] functions, String[] names, ResolvedHop next) {
        Objects.requireNonNull(next, "next");
        Route<F> r = new Route<>(null, -1, -1, "*", functions.clone(), names.clone(), next, false);
        return new ForwardingTable<>(0, List.of(), new IntObjectMap<>(1), List.of(r), List.of(), r, new LongAdder());
    }

    public static <F> Builder<F> builder(IntFunction<F[]> arrayFactory) {
        return new Builder<>(arrayFactory);
    }

    /** Collects what this process hosts, then {@link #build}s tables from topologies. */
    public static final class Builder<F> {
        private final IntFunction<F[]> arrayFactory;
        private Map<String, F> localFunctions = Map.of();
        private Predicate<ServicePath> originate = p -> false;
        private Predicate<ServicePath> terminate = p -> false;
        private Function<HopAddress, ResolvedHop> hops;
        private ForwardingTable<F> previous;
        private long drainNanos;
        private LongSupplier clock = System::nanoTime;

        private Builder(IntFunction<F[]> arrayFactory) {
            this.arrayFactory = arrayFactory;
        }

        /** Function name (as in the topology) → the owner's instance of it. */
        public Builder<F> localFunctions(Map<String, F> functions) {
            this.localFunctions = Map.copyOf(functions);
            return this;
        }

        /** Paths this process starts: a route at SI 255 addressed to the first hop. */
        public Builder<F> originate(Predicate<ServicePath> which) {
            this.originate = which;
            return this;
        }

        /** Paths that end here: a terminal route at the endpoint hop. */
        public Builder<F> terminate(Predicate<ServicePath> which) {
            this.terminate = which;
            return this;
        }

        /** How a hop name becomes a {@link ResolvedHop} (normally {@code HopResolver::hop}). */
        public Builder<F> hops(Function<HopAddress, ResolvedHop> resolver) {
            this.hops = resolver;
            return this;
        }

        /**
         * Keeps the routes of {@code table} whose path generation the new topology no longer has,
         * for {@code drain} after this build (routes it already retained keep their deadline).
         * A zero drain, or a null table, retains nothing.
         */
        public Builder<F> retain(ForwardingTable<F> table, Duration drain) {
            this.previous = table;
            this.drainNanos = drain.toNanos();
            return this;
        }

        /** The clock deadlines are measured with (tests); default {@link System#nanoTime()}. */
        Builder<F> clock(LongSupplier nanos) {
            this.clock = nanos;
            return this;
        }

        public ForwardingTable<F> build(long version, Topology topology) {
            return build(version, topology.paths());
        }

        /** Builds from paths directly: an edge originates the paths of one version and terminates those of another. */
        public ForwardingTable<F> build(long version, List<ServicePath> topologyPaths) {
            Objects.requireNonNull(hops, "hops");
            List<ServicePath> paths = new ArrayList<>(topologyPaths);
            List<Route<F>> list = new ArrayList<>();
            for (int pi = 0; pi < paths.size(); pi++) {
                ServicePath p = paths.get(pi);
                List<ServicePath.Hop> h = p.hops();
                for (int i = 0; i < h.size(); i++) {
                    ServicePath.Hop hop = h.get(i);
                    int si = ServicePath.INITIAL_SI - i;
                    if (hop.endpoint()) {
                        if (terminate.test(p)) {
                            list.add(new Route<>(p, pi, si, hop.name(), arrayFactory.apply(0), new String[0], null, true));
                        }
                        continue;
                    }
                    if (isLocal(hop)) {
                        int k = i;
                        List<F> fs = new ArrayList<>();
                        List<String> names = new ArrayList<>();
                        while (k < h.size() && isLocal(h.get(k))) {
                            fs.add(localFunctions.get(h.get(k).name()));
                            names.add(h.get(k).name());
                            k++;
                        }
                        // k < h.size(): the endpoint is never local, so a run always has a next hop.
                        ResolvedHop next = hops.apply(h.get(k).address());
                        list.add(new Route<>(p, pi, si, hop.name(), fs.toArray(arrayFactory.apply(0)),
                                names.toArray(String[]::new), next, false));
                    } else if (i == 0 && originate.test(p)) {
                        list.add(new Route<>(p, pi, si, hop.name(), arrayFactory.apply(0), new String[0],
                                hops.apply(hop.address()), false));
                    }
                }
            }
            List<Route<F>> retained = retained(paths);
            LongAdder unknown = previous != null ? previous.unknownGenerations : new LongAdder();
            return new ForwardingTable<>(version, List.copyOf(paths), index(list, retained), Collections.unmodifiableList(list),
                    Collections.unmodifiableList(retained), null, unknown);
        }

        /**
         * The previous table's routes of generations the new paths do not have, unexpired, re-bound
         * to the current function instances and next hops. Appends to {@code paths} the paths of
         * SPIs that left the topology, so every route has a path index.
         */
        private List<Route<F>> retained(List<ServicePath> paths) {
            List<Route<F>> out = new ArrayList<>();
            if (previous == null || previous.isStatic() || drainNanos <= 0) {
                return out;
            }
            long now = clock.getAsLong();
            Set<Long> currentGenerations = new HashSet<>();
            Map<Integer, Integer> pathIndexBySpi = new HashMap<>();
            for (int i = 0; i < paths.size(); i++) {
                currentGenerations.add(pathKey(paths.get(i).spi(), paths.get(i).generation()));
                pathIndexBySpi.putIfAbsent(paths.get(i).spi(), i);
            }
            Set<Long> seen = new HashSet<>(); // (SPI, SI, generation) already kept
            List<Route<F>> candidates = new ArrayList<>(previous.routeList);
            candidates.addAll(previous.retainedList);
            for (Route<F> r : candidates) {
                ServicePath p = r.path();
                if (currentGenerations.contains(pathKey(p.spi(), r.generation()))) {
                    continue; // the path is unchanged (or back): its current routes serve it
                }
                long deadline = r.retained() ? r.drainDeadline() : now + drainNanos;
                if (deadline <= now || !seen.add(((long) key(p.spi(), r.si()) << 32) | (r.generation() & 0xFFFF_FFFFL))) {
                    continue;
                }
                String[] names = r.functionNames();
                List<F> fs = new ArrayList<>(names.length);
                for (String n : names) {
                    F f = localFunctions.get(n);
                    if (f == null) {
                        break; // this process no longer runs it: nothing to route old packets through
                    }
                    fs.add(f);
                }
                if (fs.size() != names.length) {
                    continue;
                }
                Integer index = pathIndexBySpi.get(p.spi());
                if (index == null) {
                    index = paths.size();
                    paths.add(p);
                    pathIndexBySpi.put(p.spi(), index);
                }
                ResolvedHop next = r.next() == null ? null : hops.apply(r.next().name());
                out.add(new Route<>(p, index, r.si(), r.hopName(), fs.toArray(arrayFactory.apply(0)), names.clone(),
                        next, r.terminal(), deadline));
            }
            return out;
        }

        private static long pathKey(int spi, int generation) {
            return ((long) spi << 32) | (generation & 0xFFFF_FFFFL);
        }

        private boolean isLocal(ServicePath.Hop hop) {
            return !hop.endpoint() && localFunctions.containsKey(hop.name());
        }
    }

    @Override
    public String toString() {
        return "ForwardingTable v" + version + " " + routeList + (retainedList.isEmpty() ? "" : " retained " + retainedList);
    }
}
