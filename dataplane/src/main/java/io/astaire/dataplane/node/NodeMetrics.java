package io.astaire.dataplane.node;

import io.astaire.dataplane.counters.CounterMeters;
import io.astaire.dataplane.counters.CounterStripe;
import io.astaire.dataplane.counters.DropReason;
import io.astaire.dataplane.counters.StripedCounters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Publishes the node's striped counters through Micrometer's Prometheus registry. Every meter
 * reads the workers' counters at scrape time ({@link FunctionCounter}s, a custom histogram
 * collector), so recording on the packet path stays two plain stores.
 *
 * <pre>
 * astaire_sf_datagrams_received_total                      every datagram read from the socket
 * astaire_sf_bytes_received_total                          their bytes
 * astaire_sf_packets_received_total{spi}                   packets accepted on a path
 * astaire_sf_path_bytes_received_total{spi}
 * astaire_sf_packets_sent_total{spi}                       packets forwarded (handed to the socket)
 * astaire_sf_path_bytes_sent_total{spi}
 * astaire_sf_dropped_packets_total{reason,detail}          drops; detail = wire error or function
 * astaire_sf_function_packets_total{function,kind}         packets a function processed
 * astaire_sf_function_dropped_packets_total{function,kind} packets it dropped
 * astaire_sf_hop_latency_seconds                           time in the node (histogram)
 * astaire_sf_topology_version, astaire_sf_workers
 * astaire_sf_worker_datagrams_received_total{worker}       per worker: how the upstream's flows spread
 * astaire_udp_offload{feature="gso"|"gro"}                 1 while the workers' sockets use it
 * </pre>
 */
final class NodeMetrics {

    private final PrometheusMeterRegistry registry;
    private final Set<String> registeredPaths = new HashSet<>();
    private final Map<String, List<StripedCounters>> verdicts = new HashMap<>();
    private final Set<StripedCounters> registeredCounters = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** Micrometer holds a function meter's state weakly: these keep the suppliers alive. */
    private final List<Object> strong = new ArrayList<>();

    NodeMetrics(PrometheusMeterRegistry registry, StripedCounters counters, LatencyHistogram latency, int workers,
                LongSupplier topologyVersion) {
        this.registry = registry;
        // Datagrams, bytes and drops by reason: rendered from the counters' descriptors.
        CounterMeters.register(registry, counters, Tags.empty());
        strong.add(counters);
        for (int w = 0; w < workers; w++) {
            // Per worker: shows whether SO_REUSEPORT spreads the upstream's flows (RFC 7348 source ports) over the workers.
            CounterStripe stripe = counters.stripe(w);
            strong.add(stripe);
            FunctionCounter.builder("astaire.sf.worker.datagrams.received", stripe, s -> s.get(NodeCounts.DATAGRAMS))
                    .description("Datagrams read from the socket, per worker").tag("worker", Integer.toString(w)).register(registry);
        }
        strong.add(topologyVersion);
        Gauge.builder("astaire.sf.topology.version", topologyVersion, s -> s.getAsLong())
                .description("Version of the topology the workers use").register(registry);
        Gauge.builder("astaire.sf.workers", () -> workers).strongReference(true).description("Worker threads").register(registry);
        registry.getPrometheusRegistry().register(new LatencyCollector(latency));
    }

    /** Registers whether UDP GSO and GRO are in use (supported, not turned off, not refused since). */
    void offload(BooleanSupplier gso, BooleanSupplier gro) {
        offloadGauge("gso", gso);
        offloadGauge("gro", gro);
    }

    private void offloadGauge(String feature, BooleanSupplier inUse) {
        strong.add(inUse);
        Gauge.builder("astaire.udp.offload", inUse, s -> s.getAsBoolean() ? 1 : 0)
                .description("Whether a UDP segmentation offload is in use (1) or not (0)").tags("feature", feature).register(registry);
    }

    /** Registers the counters of a path the first time it is seen (they live on across topology versions). */
    synchronized void path(PathStats stats) {
        if (!registeredPaths.add(stats.spiLabel)) {
            return;
        }
        strong.add(stats);
        CounterMeters.register(registry, stats.counters, Tags.empty());
    }

    /**
     * Registers a function's counters the first time they are seen. Only the counters are kept
     * (not the instance: a stopped one must be collectable); the {@code function_verdict} drop
     * series of a name sums the counters of every kind the function has had.
     */
    synchronized void function(LocalFunction f) {
        if (!registeredCounters.add(f.counters)) {
            return; // a reconfigured instance of the same kind counts on in the same series
        }
        strong.add(f.counters);
        CounterMeters.register(registry, f.counters, Tags.empty());
        List<StripedCounters> ofName = verdicts.get(f.name());
        if (ofName == null) {
            List<StripedCounters> group = new CopyOnWriteArrayList<>();
            verdicts.put(f.name(), group);
            strong.add(group);
            FunctionCounter.builder(NodeCounts.DROPPED, group, g -> {
                        long total = 0;
                        for (StripedCounters c : g) {
                            total += c.sum(LocalFunction.DROPPED);
                        }
                        return total;
                    })
                    .description("Packets dropped, by reason (detail: the wire error, or the function)")
                    .tags("reason", DropReason.FUNCTION_VERDICT.label(), "detail", f.name()).register(registry);
            ofName = group;
        }
        ofName.add(f.counters);
    }

    /** The latency histogram as a Prometheus classic histogram, built from the workers' buckets at scrape. */
    private static final class LatencyCollector implements Collector {
        private static final String NAME = "astaire_sf_hop_latency_seconds";
        private final LatencyHistogram latency;
        private final double[] bounds = new double[LatencyHistogram.BUCKETS];

        LatencyCollector(LatencyHistogram latency) {
            this.latency = latency;
            for (int k = 0; k < bounds.length; k++) {
                bounds[k] = LatencyHistogram.upperBoundSeconds(k);
            }
        }

        @Override
        public MetricSnapshot collect() {
            return HistogramSnapshot.builder()
                    .name(NAME)
                    .help("Time a packet spends in the node, from the receive call to the send call")
                    .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                            .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, latency.counts()))
                            .sum(latency.sumSeconds())
                            .build())
                    .build();
        }

        @Override
        public String getPrometheusName() {
            return NAME;
        }
    }
}
