package io.astaire.controller;

import java.util.List;

/**
 * A store that keeps nothing: for a registry that mirrors another store, such as the operator
 * mode's, where the API server holds the chains and the registry is rebuilt from the
 * ServiceChains after every start.
 */
public final class MemoryTopologyStore implements TopologyStore {
    private final String location;

    /** @param location what the registry mirrors, for logs */
    public MemoryTopologyStore(String location) {
        this.location = location;
    }

    @Override
    public RegistryState load() {
        return RegistryState.empty();
    }

    @Override
    public void commit(long version, long nextSpi, List<Change> changes) {
        // The registry's state in memory is the whole of it.
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public void close() {}
}
