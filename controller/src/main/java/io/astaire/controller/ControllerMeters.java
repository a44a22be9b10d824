package io.astaire.controller;

import io.astaire.dataplane.ops.RuntimeMeters;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * The controller's {@code /metrics}: the JVM, process and build meters every role has, and for
 * each topology it serves the version and how many nodes report (fresh, or stale: missed three
 * reports). An operator's ServiceChains are told apart by a {@code servicechain} tag; a controller
 * serves one topology and its meters have no such tag, so one server never mixes the two shapes
 * (Prometheus wants one set of tag keys per name).
 */
final class ControllerMeters implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RuntimeMeters runtime = RuntimeMeters.bind(registry, "controller");

    /** Registers {@code topology}'s meters, tagged with {@code serviceChain} unless it is null; closing removes them. */
    AutoCloseable bind(String serviceChain, Registry topology, NodeRegistry nodes) {
        Tags tags = serviceChain == null ? Tags.empty() : Tags.of("servicechain", serviceChain);
        List<Meter> bound = new ArrayList<>();
        bound.add(Gauge.builder("astaire.controller.topology.version", topology, r -> r.state().version())
                .description("Version of the topology the controller serves").tags(tags).register(registry));
        for (boolean stale : new boolean[] {false, true}) {
            bound.add(Gauge.builder("astaire.controller.nodes", nodes, n -> n.all().stream().filter(s -> s.stale() == stale).count())
                    .description("Nodes reporting to the controller, fresh or stale (three reports missed)")
                    .tags(tags).tag("state", stale ? "stale" : "fresh").register(registry));
        }
        return () -> bound.forEach(registry::remove);
    }

    String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        runtime.close();
        registry.close();
    }
}
