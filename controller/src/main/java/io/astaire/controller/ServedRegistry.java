package io.astaire.controller;

import java.util.Objects;

/**
 * One topology as the controller's API serves it: the registry, the nodes that report on it,
 * whether its version is ready for the edges, and its trace endpoint. The SQLite controller
 * serves one at {@code /api/v1}; the operator serves one per ServiceChain, at
 * {@code /servicechains/<name>/api/v1} ({@link ControllerServer#serve}).
 */
public final class ServedRegistry implements AutoCloseable {
    private final String name;
    private final Registry registry;
    private final NodeRegistry nodes;
    private final PathReadiness readiness;
    private final TraceEndpoint trace;
    private final AutoCloseable meters;
    private volatile boolean closed;

    ServedRegistry(String name, Registry registry, NodeRegistry nodes, ControllerMeters meters) {
        this.name = name;
        this.registry = Objects.requireNonNull(registry, "registry");
        this.nodes = nodes;
        this.readiness = new PathReadiness(registry, nodes);
        this.trace = new TraceEndpoint(registry);
        this.meters = meters.bind(name, registry, nodes);
    }

    /** The ServiceChain's name; null for a controller's own registry. */
    public String name() {
        return name;
    }

    public Registry registry() {
        return registry;
    }

    public NodeRegistry nodes() {
        return nodes;
    }

    /** Whether the current version is ready for the edges (make-before-break); set its switch timeout here. */
    public PathReadiness readiness() {
        return readiness;
    }

    TraceEndpoint trace() {
        return trace;
    }

    boolean closed() {
        return closed;
    }

    /** For log lines and errors: {@code ServiceChain 'web'}, or the database's location. */
    String describe() {
        return name == null ? registry.store().location() : "ServiceChain '" + name + "'";
    }

    /** Answers its parked watchers, stops its meters and closes the registry. */
    @Override
    public void close() {
        closed = true;
        readiness.close();
        registry.watch().publish(registry.state().version());
        try {
            meters.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot remove the meters of " + describe(), e);
        }
        registry.close();
    }
}
