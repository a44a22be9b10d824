package io.astaire.dataplane.resolve;

import io.astaire.dataplane.transport.Endpoint;
import io.astaire.model.HopAddress;

/**
 * A hop name and what it resolves to now. The packet path reads {@link #replicas()} (one
 * volatile read, an immutable {@link ReplicaSet}); the resolver replaces it in the background.
 * One instance per name, shared by every forwarding table that uses the name.
 */
public final class ResolvedHop {

    private final HopAddress name;
    private volatile ReplicaSet replicas = ReplicaSet.EMPTY;

    public ResolvedHop(HopAddress name) {
        this.name = name;
    }

    /** A hop that always goes to one fixed address (no resolver involved). */
    public static ResolvedHop fixed(HopAddress name, Endpoint endpoint) {
        ResolvedHop hop = new ResolvedHop(name);
        hop.replicas(new ReplicaSet(java.util.List.of(endpoint), java.util.Set.of()));
        return hop;
    }

    public HopAddress name() {
        return name;
    }

    public ReplicaSet replicas() {
        return replicas;
    }

    void replicas(ReplicaSet set) {
        this.replicas = set;
    }

    /** Where a packet of a flow with this symmetric hash goes; null when nothing is resolved. */
    public Endpoint select(int flowHash) {
        return replicas.select(flowHash);
    }

    @Override
    public String toString() {
        return name + " -> " + replicas;
    }
}
