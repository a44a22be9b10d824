package io.astaire.dataplane.forward;

import io.astaire.dataplane.resolve.ResolvedHop;
import io.astaire.model.HopAddress;
import io.astaire.model.ServicePath;
import io.astaire.model.Topology;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
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
 * @param <F> what a local function is to the owner (the node's {@code ServiceFunction})
 */
public final class ForwardingTable<F> {

    private final long version;
    private final List<ServicePath> paths;
    private final IntObjectMap<Route<F>> routes;
    private final List<Route<F>> routeList;
    private final Route<F> staticRoute;

    private ForwardingTable(long version, List<ServicePath> paths, IntObjectMap<Route<F>> routes,
                            List<Route<F>> routeList, Route<F> staticRoute) {
        this.version = version;
        this.paths = paths;
        this.routes = routes;
        this.routeList = routeList;
        this.staticRoute = staticRoute;
    }

    static int key(int spi, int si) {
        return (spi << 8) | (si & 0xff);
    }

    /** The route for a packet, or null when this process has nothing to do with (SPI, SI). */
    public Route<F> route(int spi, int si) {
        Route<F> s = staticRoute;
        return s != null ? s : routes.get(key(spi, si));
    }

    public long version() {
        return version;
    }

    /** The topology's paths (empty for a static table); {@link Route#pathIndex()} indexes this. */
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
        return new ForwardingTable<>(0, List.of(), new IntObjectMap<>(1), List.of(r), r);
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

        public ForwardingTable<F> build(long version, Topology topology) {
            Objects.requireNonNull(hops, "hops");
            List<ServicePath> paths = topology.paths();
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
            IntObjectMap<Route<F>> map = new IntObjectMap<>(Math.max(1, list.size()));
            for (Route<F> r : list) {
                map.put(key(r.path().spi(), r.si()), r);
            }
            return new ForwardingTable<>(version, List.copyOf(paths), map, Collections.unmodifiableList(list), null);
        }

        private boolean isLocal(ServicePath.Hop hop) {
            return !hop.endpoint() && localFunctions.containsKey(hop.name());
        }
    }

    @Override
    public String toString() {
        return "ForwardingTable v" + version + " " + routeList;
    }
}
