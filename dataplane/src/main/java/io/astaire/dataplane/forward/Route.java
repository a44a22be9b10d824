package io.astaire.dataplane.forward;

import io.astaire.dataplane.resolve.ResolvedHop;
import io.astaire.model.ServicePath;

/**
 * What to do with a packet of path {@code spi} carrying service index {@code si}: it is addressed
 * to hop {@code 255 - si} of the path; apply {@link #functions()} (the consecutive hops from there
 * that this process hosts, possibly none), decrementing SI once per function, then send it to
 * {@link #next()}; or, when {@link #terminal()}, the packet has reached the path's endpoint
 * (egress, or ingress for a reverse path) and leaves the overlay.
 *
 * @param <F> what a local function is to the table's owner (a {@code ServiceFunction} for a node)
 */
public final class Route<F> {

    private final ServicePath path;
    private final int pathIndex;
    private final int si;
    private final String hopName;
    private final F[] functions;
    private final String[] functionNames;
    private final ResolvedHop next;
    private final boolean terminal;
    private final boolean nextIsEndpoint;
    private final int generation;
    /** {@link System#nanoTime()} after which a retained route goes; {@link Long#MAX_VALUE} for a current one. */
    private final long drainDeadline;

    Route(ServicePath path, int pathIndex, int si, String hopName, F[] functions, String[] functionNames,
          ResolvedHop next, boolean terminal) {
        this(path, pathIndex, si, hopName, functions, functionNames, next, terminal, Long.MAX_VALUE);
    }

    Route(ServicePath path, int pathIndex, int si, String hopName, F[] functions, String[] functionNames,
          ResolvedHop next, boolean terminal, long drainDeadline) {
        this.generation = path == null ? 0 : path.generation();
        this.drainDeadline = drainDeadline;
        this.path = path;
        this.pathIndex = pathIndex;
        this.si = si;
        this.hopName = hopName;
        this.functions = functions;
        this.functionNames = functionNames;
        this.next = next;
        this.terminal = terminal;
        int nextHop = ServicePath.INITIAL_SI - si + functions.length;
        this.nextIsEndpoint = path != null && !terminal && next != null && nextHop >= 0 && nextHop < path.hops().size()
                && path.hops().get(nextHop).endpoint();
    }

    /** The path, or null for a route of a static (topology-less) table. */
    public ServicePath path() {
        return path;
    }

    /** Index of the path in {@link ForwardingTable#paths()}, -1 for a static table. */
    public int pathIndex() {
        return pathIndex;
    }

    public int si() {
        return si;
    }

    /** The hop this (SPI, SI) addresses. */
    public String hopName() {
        return hopName;
    }

    /** Local functions to apply in order; the array is shared, do not modify. */
    public F[] functions() {
        return functions;
    }

    public String functionName(int i) {
        return functionNames[i];
    }

    public int functionCount() {
        return functions.length;
    }

    /** Where the packet goes after the functions; null when {@link #terminal()}. */
    public ResolvedHop next() {
        return next;
    }

    /** {@link #next()} is the path's endpoint (the egress, or the ingress of a reverse path), not a function. */
    public boolean nextIsEndpoint() {
        return nextIsEndpoint;
    }

    /** The packet is addressed to the path's endpoint: decapsulate instead of forwarding. */
    public boolean terminal() {
        return terminal;
    }

    /** The {@linkplain ServicePath#generation() generation} of the path this route belongs to (0 for a static table). */
    public int generation() {
        return generation;
    }

    /** Whether this route belongs to a previous generation of its path, kept for packets still in flight. */
    public boolean retained() {
        return drainDeadline != Long.MAX_VALUE;
    }

    long drainDeadline() {
        return drainDeadline;
    }

    String[] functionNames() {
        return functionNames;
    }

    @Override
    public String toString() {
        return (path == null ? "*" : String.valueOf(path.spi())) + "/" + si + " @" + hopName
                + " apply " + String.join(",", functionNames) + (terminal ? " -> (endpoint)" : " -> " + next.name())
                + (retained() ? " (generation " + Integer.toHexString(generation) + ", draining)" : "");
    }
}
