package io.astaire.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /api/v1/nodes/{name}/status}: what a node tells the controller every
 * report interval. Shared by the node that sends it and the controller that reads it.
 *
 * @param role {@code ingress}, {@code egress} or {@code sf}
 * @param functions the function names the node runs (empty for ingress and egress)
 * @param appliedVersion the topology version the node's tables are built from, or null
 * @param counters the node's counters by name, for example {@code acl.dropped}
 * @param reportIntervalMillis how often the node reports, so the controller can tell a stale node; null when unknown
 * @param rejected the last topology version the node refused to apply and why, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeReport(String role, List<String> functions, Long appliedVersion, Map<String, Long> counters,
                         Long reportIntervalMillis, Rejected rejected) {

    /** A topology version the node received but could not apply. */
    public record Rejected(long version, String reason) {}

    public NodeReport {
        functions = functions == null ? List.of() : List.copyOf(functions);
        counters = counters == null ? Map.of() : Map.copyOf(counters);
    }

    public NodeReport(String role, List<String> functions, Long appliedVersion, Map<String, Long> counters) {
        this(role, functions, appliedVersion, counters, null, null);
    }
}
