package io.astaire.dataplane.node;

import io.astaire.dataplane.counters.CounterLayout;
import io.astaire.dataplane.counters.StripedCounters;
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
    final StripedCounters counters;

    LocalFunction(String name, String kind, ServiceFunction function, int workers) {
        this(name, kind, function, newCounters(name, kind, workers));
    }

    /** An instance that counts in {@code counters} (where an earlier instance of the same name and kind left off). */
    LocalFunction(String name, String kind, ServiceFunction function, StripedCounters counters) {
        this.name = name;
        this.kind = kind;
        this.function = function;
        this.counters = counters;
    }

    /** The counters of function {@code name} while it is of {@code kind} (its /metrics series). */
    static StripedCounters newCounters(String name, String kind, int workers) {
        return new StripedCounters(layout(name, kind), workers);
    }

    private static CounterLayout layout(String name, String kind) {
        CounterLayout.Builder b = CounterLayout.builder();
        b.counter("astaire.sf.function.packets", "Packets a function processed", "function", name, "kind", kind);
        b.counter("astaire.sf.function.dropped.packets", "Packets a function dropped", "function", name, "kind", kind);
        return b.build();
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
        return counters.sum(PROCESSED);
    }

    public long dropped() {
        return counters.sum(DROPPED);
    }

    @Override
    public String toString() {
        return name + " (" + kind + ")";
    }
}
