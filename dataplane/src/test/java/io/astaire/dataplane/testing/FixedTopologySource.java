package io.astaire.dataplane.testing;

import io.astaire.dataplane.config.TopologySource;
import io.astaire.model.Topology;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A topology source for tests: a topology in hand, and {@link #publish} to push a new version. */
public final class FixedTopologySource implements TopologySource {
    private volatile Versioned current;
    private final List<Consumer<Versioned>> listeners = new CopyOnWriteArrayList<>();

    public FixedTopologySource(Topology topology) {
        this.current = new Versioned(1, topology);
    }

    @Override
    public Versioned current() {
        return current;
    }

    @Override
    public void subscribe(Consumer<Versioned> listener) {
        listeners.add(listener);
    }

    /** Makes {@code topology} the next version and tells the subscribers (on this thread). */
    public void publish(Topology topology) {
        Versioned v = new Versioned(current.version() + 1, topology);
        current = v;
        listeners.forEach(l -> l.accept(v));
    }
}
