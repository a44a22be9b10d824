package io.astaire.controller;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.astaire.dataplane.config.NodeStatusReporter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last status each node reported. Kept in memory only: status is fresh by nature, and nodes
 * report again within seconds after a controller restart.
 */
public final class NodeRegistry {

    /** A node as {@code GET /api/v1/nodes} lists it; {@code lastSeen} is an ISO-8601 instant. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NodeStatus(String name, String role, List<String> functions, Long appliedVersion,
                             Map<String, Long> counters, String lastSeen, String remoteAddress) {}

    private final Map<String, NodeStatus> nodes = new ConcurrentHashMap<>();

    public NodeStatus report(String name, NodeStatusReporter.Report report, String remoteAddress) {
        NodeStatus s = new NodeStatus(name, report.role(), report.functions(), report.appliedVersion(), report.counters(),
                Instant.now().toString(), remoteAddress);
        nodes.put(name, s);
        return s;
    }

    public NodeStatus get(String name) {
        return nodes.get(name);
    }

    public List<NodeStatus> all() {
        List<NodeStatus> list = new ArrayList<>(nodes.values());
        list.sort(Comparator.comparing(NodeStatus::name));
        return list;
    }
}
