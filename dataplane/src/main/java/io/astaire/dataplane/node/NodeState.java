package io.astaire.dataplane.node;

import io.astaire.dataplane.forward.ForwardingTable;

/**
 * What workers read once per batch through one volatile reference: the forwarding table and
 * the per-path counters aligned with its paths. Replaced whole on a topology change.
 */
final class NodeState {

    final ForwardingTable<LocalFunction> table;
    /** Indexed by {@code Route.pathIndex()}; for a static table, one entry for every packet. */
    final PathStats[] pathStats;
    final PathStats staticStats;

    NodeState(ForwardingTable<LocalFunction> table, PathStats[] pathStats, PathStats staticStats) {
        this.table = table;
        this.pathStats = pathStats;
        this.staticStats = staticStats;
    }

    long version() {
        return table.version();
    }
}
