package io.astaire.dataplane.node;

import io.astaire.dataplane.forward.ForwardingTable;
import java.util.List;

/**
 * The node's state as one immutable snapshot, published by {@link NodeConductor} through one
 * volatile reference and read by workers once per batch and by the status report whole: the
 * forwarding table, the per-path counters aligned with its paths, the functions it runs, and
 * every path's counters ever (they live on across versions, for totals).
 */
final class NodeState {

    final ForwardingTable<LocalFunction> table;
    /** Indexed by {@code Route.pathIndex()}; for a static table, one entry for every packet. */
    final PathStats[] pathStats;
    final PathStats staticStats;
    /** The functions this version runs, by name order of the node's {@code --function}s. */
    final List<LocalFunction> functions;
    /** Every path's counters this node ever had, this version's and earlier ones'. */
    final List<PathStats> everyPath;

    NodeState(ForwardingTable<LocalFunction> table, PathStats[] pathStats, PathStats staticStats,
              List<LocalFunction> functions, List<PathStats> everyPath) {
        this.table = table;
        this.pathStats = pathStats;
        this.staticStats = staticStats;
        this.functions = List.copyOf(functions);
        this.everyPath = List.copyOf(everyPath);
    }

    long version() {
        return table.version();
    }
}
