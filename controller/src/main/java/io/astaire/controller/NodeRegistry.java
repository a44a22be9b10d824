package io.astaire.controller;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.astaire.model.NodeReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last status each node reported. Kept in memory only: status is fresh by nature, and nodes
 * report again within seconds after a controller restart. Bounded: at most {@link Limits#maxNodes}
 * names (a new name past it is refused until one expires), and a node not heard from for
 * {@link Limits#expiry} is forgotten. A node silent for three of its report intervals is listed as
 * {@code stale}: probably dead, its counters old.
 */
public final class NodeRegistry {

    /** How many nodes are tracked, how long a silent one is kept, and the interval assumed when a node does not say. */
    public record Limits(int maxNodes, Duration expiry, Duration defaultReportInterval) {
        public static final Limits DEFAULT = new Limits(10_000, Duration.ofMinutes(10), Duration.ofSeconds(10));

        public Limits {
            if (maxNodes < 1) {
                throw new IllegalArgumentException("--max-nodes: must be at least 1, not " + maxNodes);
            }
            if (expiry.isNegative() || expiry.isZero()) {
                throw new IllegalArgumentException("--node-expiry: must be positive, not " + expiry);
            }
        }
    }

    /** Missed reports after which a node is stale. */
    static final int STALE_AFTER_MISSED_REPORTS = 3;

    /** A node as {@code GET /api/v1/nodes} lists it; {@code lastSeen} is an ISO-8601 instant. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NodeStatus(String name, String role, List<String> functions, Long appliedVersion,
                             Map<String, Long> counters, String lastSeen, String remoteAddress,
                             Long reportIntervalMillis, NodeReport.Rejected rejected, boolean stale) {}

    private record Entry(String name, NodeReport report, Instant seen, String remoteAddress) {}

    private final Limits limits;
    private final Clock clock;
    /** Guarded by this: the bound and the expiry sweep need a consistent size. */
    private final Map<String, Entry> nodes = new LinkedHashMap<>();

    public NodeRegistry() {
        this(Limits.DEFAULT, Clock.systemUTC());
    }

    public NodeRegistry(Limits limits, Clock clock) {
        this.limits = limits;
        this.clock = clock;
    }

    public Limits limits() {
        return limits;
    }

    /** @throws ApiException 429 when {@code name} is new and {@link Limits#maxNodes} are tracked */
    public synchronized NodeStatus report(String name, NodeReport report, String remoteAddress) {
        Instant now = clock.instant();
        if (!nodes.containsKey(name) && nodes.size() >= limits.maxNodes()) {
            expire(now);
            if (nodes.size() >= limits.maxNodes()) {
                throw new ApiException(429, "name", "the controller tracks at most " + limits.maxNodes() + " nodes and knows "
                        + nodes.size() + "; a new node is admitted when one has been silent for " + limits.expiry().toSeconds()
                        + " s (raise --max-nodes for a larger fleet)");
            }
        }
        Entry e = new Entry(name, report, now, remoteAddress);
        nodes.put(name, e);
        return status(e, now);
    }

    public synchronized NodeStatus get(String name) {
        Instant now = clock.instant();
        expire(now);
        Entry e = nodes.get(name);
        return e == null ? null : status(e, now);
    }

    /** Every node heard from within the expiry, by name. */
    public synchronized List<NodeStatus> all() {
        Instant now = clock.instant();
        expire(now);
        List<NodeStatus> list = new ArrayList<>(nodes.size());
        for (Entry e : nodes.values()) {
            list.add(status(e, now));
        }
        list.sort(Comparator.comparing(NodeStatus::name));
        return list;
    }

    public synchronized int size() {
        return nodes.size();
    }

    private void expire(Instant now) {
        Instant cutoff = now.minus(limits.expiry());
        nodes.values().removeIf(e -> e.seen().isBefore(cutoff));
    }

    private NodeStatus status(Entry e, Instant now) {
        NodeReport r = e.report();
        Duration interval = r.reportIntervalMillis() == null ? limits.defaultReportInterval() : Duration.ofMillis(r.reportIntervalMillis());
        boolean stale = Duration.between(e.seen(), now).compareTo(interval.multipliedBy(STALE_AFTER_MISSED_REPORTS)) > 0;
        return new NodeStatus(e.name(), r.role(), r.functions(), r.appliedVersion(), r.counters(), e.seen().toString(),
                e.remoteAddress(), r.reportIntervalMillis(), r.rejected(), stale);
    }
}
