package io.astaire.operator;

import io.astaire.controller.RegistryState;
import io.astaire.controller.TopologyStore;
import java.util.List;

/**
 * A store that keeps nothing: in the operator mode the API server holds the chains, and the
 * registry is a view of them rebuilt from the ServiceChains after every start.
 */
final class MemoryTopologyStore implements TopologyStore {
    private final String location;

    MemoryTopologyStore(String location) {
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
