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

    /**
     * A version of the topology: monotonically increasing per source.
     *
     * <p>{@code origin} is the topology an edge <em>originates</em> paths and classifies by: the
     * newest version the controller reported ready (every node on its new paths runs it), which may
     * be older than {@code topology} while a change propagates. Everything else (the routes a node
     * hosts, the paths an edge terminates) follows {@code topology} at once. Sources without a
     * readiness signal (a file, a node's watch) give the same topology for both.
     */
    record Versioned(long version, Topology topology, long originVersion, Topology origin) {
        public Versioned(long version, Topology topology) {
            this(version, topology, version, topology);
        }

        /** Whether the edges still originate an older version than this one. */
        public boolean originPending() {
            return originVersion != version;
        }
    }

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
