package io.astaire.dataplane.edge;

import io.astaire.dataplane.classify.RuleTable;
import io.astaire.dataplane.forward.ForwardingTable;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.model.Topology;

/**
 * What an edge's workers read per batch, built together from one topology version so they always
 * agree: the forwarding table (first hops of the paths this edge originates, terminal routes of
 * those that end here) and the classifier rules of this edge's direction.
 */
public record EdgeTables(long version, Topology topology, ForwardingTable<Object> forwarding, RuleTable rules) {

    static EdgeTables build(EdgeRole role, long version, Topology topology, HopResolver resolver) {
        ForwardingTable<Object> forwarding = ForwardingTable.<Object>builder(Object[]::new)
                .originate(role::originates)
                .terminate(role::terminates)
                .hops(resolver::hop)
                .build(version, topology);
        RuleTable rules = role == EdgeRole.INGRESS ? RuleTable.forward(topology) : RuleTable.reverse(topology);
        return new EdgeTables(version, topology, forwarding, rules);
    }
}
