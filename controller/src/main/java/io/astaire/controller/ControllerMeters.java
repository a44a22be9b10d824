package io.astaire.controller;

import io.astaire.dataplane.ops.RuntimeMeters;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The controller's {@code /metrics}: the JVM, process and build meters every role has, the
 * topology version it serves, and how many nodes report (fresh, or stale: missed three reports).
 */
final class ControllerMeters implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RuntimeMeters runtime = RuntimeMeters.bind(registry, "controller");

    ControllerMeters(Registry topology, NodeRegistry nodes) {
        Gauge.builder("astaire.controller.topology.version", topology, r -> r.state().version())
                .description("Version of the topology the controller serves").register(registry);
        for (boolean stale : new boolean[] {false, true}) {
            Gauge.builder("astaire.controller.nodes", nodes, n -> n.all().stream().filter(s -> s.stale() == stale).count())
                    .description("Nodes reporting to the controller, fresh or stale (three reports missed)")
                    .tag("state", stale ? "stale" : "fresh").register(registry);
        }
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
