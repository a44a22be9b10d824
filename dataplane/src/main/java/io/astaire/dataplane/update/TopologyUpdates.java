package io.astaire.dataplane.update;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;

/**
 * What became of a role's topology updates, for operators: the last refusal (null once a newer
 * version applied), refusals counted by kind, and the refused version as a gauge. Written by the
 * role's one updating thread (its conductor), read by anyone.
 *
 * <pre>
 * astaire_topology_rejected_total{reason}   updates refused, by {@link RejectionKind}
 * astaire_topology_rejected_version         the newest refused version while it is not applied; 0 otherwise
 * </pre>
 */
public final class TopologyUpdates {

    private final AtomicLongArray rejected = new AtomicLongArray(RejectionKind.values().length);
    private volatile TopologyRejection last;

    /** Registers the counters and the gauge (every reason, so a dashboard sees zeros before the first refusal). */
    public void bind(MeterRegistry registry, Tags common) {
        for (RejectionKind k : RejectionKind.values()) {
            FunctionCounter.builder("astaire.topology.rejected", this, u -> u.rejected(k))
                    .description("Topology updates refused (the role kept the version it ran), by reason")
                    .tags(common.and("reason", k.label())).register(registry);
        }
        Gauge.builder("astaire.topology.rejected.version", this, u -> {
                    TopologyRejection r = u.last;
                    return r == null ? 0 : r.version();
                }).description("The newest topology version this role refused while it runs an older one; 0 when none")
                .tags(common).register(registry);
    }

    /** Records a refusal and logs it once, naming the version really in use. */
    public TopologyRejection rejected(Logger log, String role, long version, RejectionKind kind, String reason, long running) {
        TopologyRejection r = new TopologyRejection(version, reason, kind, running);
        rejected.incrementAndGet(kind.ordinal());
        last = r;
        log.error("{}: topology version {} refused ({}): {}; still running version {}", role, version, kind.label(), reason, running);
        return r;
    }

    /** A version applied: no refusal is outstanding any more. */
    public void applied() {
        last = null;
    }

    /** The last refusal while no newer version applied, or null. */
    public TopologyRejection rejection() {
        return last;
    }

    public long rejected(RejectionKind kind) {
        return rejected.get(kind.ordinal());
    }
}
