package io.astaire.dataplane.config;

import io.astaire.model.Topology;
import java.util.function.Consumer;

/**
 * Where a node's forwarding state comes from: a YAML file, or the controller's watch. A node
 * builds its tables from {@link #current()} at start and rebuilds them, off the packet path,
 * whenever a listener is told of a new version; the packet path then swaps to the new tables
 * between batches.
 */
public interface TopologySource extends AutoCloseable {

    /** A version of the topology: monotonically increasing per source. */
    record Versioned(long version, Topology topology) {}

    /** The newest topology known; blocks at first use until one is available or fails with a message. */
    Versioned current();

    /**
     * Calls {@code listener} with every newer version, from a background thread. When the source
     * becomes unreachable the node keeps its last good version; no call is made.
     */
    void subscribe(Consumer<Versioned> listener);

    @Override
    default void close() {}
}
