package io.astaire.dataplane.edge;

import io.astaire.dataplane.classify.ClassifierLimit;
import io.astaire.dataplane.classify.RuleHits;
import io.astaire.dataplane.classify.RuleTable;
import io.astaire.dataplane.config.TopologySource;
import io.astaire.dataplane.forward.ForwardingTable;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.model.ServicePath;
import io.astaire.model.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What an edge's workers read per batch, built together from one topology version so they always
 * agree: the forwarding table (first hops of the paths this edge originates, terminal routes of
 * those that end here) and the classifier rules of this edge's direction, with their hit counters
 * (one stripe per worker).
 */
public record EdgeTables(long version, long originVersion, Topology topology, ForwardingTable<Object> forwarding, RuleTable rules,
                         RuleHits hits) {

    /** Whether {@code v} would change these tables: a newer version, or the same one with a newer ready origin. */
    boolean olderThan(TopologySource.Versioned v) {
        return v.version() > version || (v.version() == version && v.originVersion() > originVersion);
    }

    static EdgeTables build(EdgeRole role, long version, Topology topology, HopResolver resolver) {
        return build(role, new TopologySource.Versioned(version, topology), null, Duration.ZERO, resolver, ClassifierLimit.DEFAULT, 1);
    }

    /** As {@link #build(EdgeRole, TopologySource.Versioned, EdgeTables, Duration, HopResolver, ClassifierLimit, int)}, for one worker under the default limit. */
    static EdgeTables build(EdgeRole role, TopologySource.Versioned v, EdgeTables previous, Duration drain, HopResolver resolver) {
        return build(role, v, previous, drain, resolver, ClassifierLimit.DEFAULT, 1);
    }

    /**
     * Make-before-break: the paths this edge terminates come from {@code v.topology()} at once (with
     * the previous tables' routes of older generations kept for {@code drain}), the paths it
     * originates and the classifier rules from {@code v.origin()}, the version the controller
     * reported ready on every hop. A rule set over {@code limit} is refused
     * ({@link io.astaire.dataplane.classify.ClassifierTooLargeException}) before anything is built
     * when its size shows it.
     *
     * @param workers the workers that classify with the tables: one stripe of hit counters each
     */
    static EdgeTables build(EdgeRole role, TopologySource.Versioned v, EdgeTables previous, Duration drain, HopResolver resolver,
                            ClassifierLimit limit, int workers) {
        List<ServicePath> paths = new ArrayList<>();
        v.origin().paths().stream().filter(role::originates).forEach(paths::add);
        v.topology().paths().stream().filter(role::terminates).forEach(paths::add);
        ForwardingTable<Object> forwarding = ForwardingTable.<Object>builder(Object[]::new)
                .originate(role::originates)
                .terminate(role::terminates)
                .hops(resolver::hop)
                .retain(previous == null ? null : previous.forwarding(), drain)
                .build(v.version(), paths);
        Topology origin = v.origin();
        RuleTable rules = role == EdgeRole.INGRESS ? limit.forward(origin) : limit.reverse(origin);
        RuleHits hits = new RuleHits(rules, workers, previous == null ? 1 : previous.hits().generation() + 1);
        return new EdgeTables(v.version(), v.originVersion(), v.topology(), forwarding, rules, hits);
    }

    /** These tables without the routes of old path generations that drained by {@code nowNanos}. */
    EdgeTables withoutExpired(long nowNanos) {
        ForwardingTable<Object> pruned = forwarding.withoutExpired(nowNanos);
        return pruned == forwarding ? this : new EdgeTables(version, originVersion, topology, pruned, rules, hits);
    }
}
