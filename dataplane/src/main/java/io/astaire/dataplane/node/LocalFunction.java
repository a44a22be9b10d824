package io.astaire.dataplane.node;

import io.astaire.function.ServiceFunction;

/**
 * A function this node runs, with its per-worker counters. The forwarding table's routes hold
 * these, so a worker reaches function and counters with no lookup.
 */
public final class LocalFunction {

    static final int PROCESSED = 0;
    static final int DROPPED = 1;

    private final String name;
    private final String kind;
    private final ServiceFunction function;
    final long[] counters;

    LocalFunction(String name, String kind, ServiceFunction function, int workers) {
        this(name, kind, function, Counters.striped(workers, 2));
    }

    /** A new instance that goes on counting where {@code counters} left off (a reconfigured function). */
    LocalFunction(String name, String kind, ServiceFunction function, long[] counters) {
        this.name = name;
        this.kind = kind;
        this.function = function;
        this.counters = counters;
    }

    public String name() {
        return name;
    }

    public String kind() {
        return kind;
    }

    public ServiceFunction function() {
        return function;
    }

    public long processed() {
        return Counters.sum(counters, PROCESSED);
    }

    public long dropped() {
        return Counters.sum(counters, DROPPED);
    }

    @Override
    public String toString() {
        return name + " (" + kind + ")";
    }
}
