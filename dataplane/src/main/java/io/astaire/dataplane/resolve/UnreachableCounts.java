package io.astaire.dataplane.resolve;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Datagrams lost to each unreachable replica (one per ICMP error), as
 * {@code astaire_next_hop_unreachable_total{replica="address:port"}}. Cardinality is bounded: a
 * replica gets a series of its own only while fewer than {@code max} have one, and only if it is
 * an address of a name the node forwards to; the rest count under {@code replica="other"}. Meters
 * are registered on the resolver's thread, never on the worker that reports the loss.
 */
final class UnreachableCounts {

    static final String METER = "astaire.next.hop.unreachable";
    static final String OTHER = "other";

    private final int max;
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private volatile Executor registrar;

    UnreachableCounts(int max) {
        this.max = max;
    }

    /** One datagram lost to {@code replica}; {@code known}: it is an address of a resolved name. */
    void count(InetSocketAddress replica, boolean known) {
        String label = label(replica);
        LongAdder c = counts.get(label);
        if (c == null) {
            if (!known || counts.size() >= max) {
                label = OTHER;
            }
            c = counts.computeIfAbsent(label, this::created);
        }
        c.increment();
    }

    private LongAdder created(String label) {
        LongAdder c = new LongAdder();
        Executor r = registrar;
        if (r != null) {
            try {
                r.execute(() -> register(label, c));
            } catch (RejectedExecutionException closing) {
                // the resolver is closing: no more meters
            }
        }
        return c;
    }

    long value(InetSocketAddress replica) {
        LongAdder c = counts.get(label(replica));
        return c == null ? 0 : c.sum();
    }

    /** Publishes every count, present and future, on {@code registry}; {@code on} registers them. */
    void bind(MeterRegistry registry, Executor on) {
        registries.add(registry);
        registrar = on;
        counts.forEach((label, c) -> on.execute(() -> register(label, c)));
    }

    private void register(String label, LongAdder c) {
        for (MeterRegistry r : registries) {
            FunctionCounter.builder(METER, c, LongAdder::sum).tag("replica", label)
                    .description("Datagrams lost to a next hop that answered with ICMP unreachable")
                    .register(r);
        }
    }

    static String label(InetSocketAddress replica) {
        return replica.getAddress().getHostAddress() + ":" + replica.getPort();
    }
}
