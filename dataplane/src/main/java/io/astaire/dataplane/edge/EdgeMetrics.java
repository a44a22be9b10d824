package io.astaire.dataplane.edge;

import io.astaire.dataplane.counters.CounterMeters;
import io.astaire.dataplane.tun.TunOffloads;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.HashSet;
import java.util.Set;

/**
 * Publishes an edge's counters to a Micrometer registry (Prometheus text on {@code /metrics}):
 * packets read from and written to the TUN device, datagrams sent and received, packets per SPI,
 * drops by reason and decode failures by wire error. Meters read the workers' counters when
 * scraped; nothing is recorded on the packet path. Call {@link #refresh()} before each scrape so
 * that SPIs seen since the last one get their own series, and classifier rules and chains theirs
 * ({@link ClassifierMetrics}).
 */
public final class EdgeMetrics {
    private final MeterRegistry registry;
    private final EdgeNode node;
    private final Tags common;
    private final Set<Integer> sentSpis = new HashSet<>();
    private final Set<Integer> deliveredSpis = new HashSet<>();
    private final ClassifierMetrics classifier;

    public EdgeMetrics(MeterRegistry registry, EdgeNode node) {
        this.registry = registry;
        this.node = node;
        this.common = Tags.of("role", node.role().label());
        EdgeStats s = node.stats();
        // Every counter of the edge, drops by reason included: rendered from the counters' descriptors.
        CounterMeters.register(registry, s.counters(), common);
        node.updates().bind(registry, common);
        for (TunOffloads.Feature f : TunOffloads.FEATURES) {
            Gauge.builder("astaire.tun.offload", node, n -> n.offloads().has(f) ? 1 : 0)
                    .description("1 when the TUN device uses this offload").tags(common.and("feature", f.label())).register(registry);
        }
        Gauge.builder("astaire.udp.offload", node, n -> n.udpGsoInUse() ? 1 : 0)
                .description("1 while the edge's sockets send runs of datagrams as one (UDP GSO)").tags(common.and("feature", "gso")).register(registry);
        Gauge.builder("astaire.udp.offload", node, n -> n.udpGroInUse() ? 1 : 0)
                .description("1 while the edge's sockets receive coalesced datagrams (UDP GRO)").tags(common.and("feature", "gro")).register(registry);
        Gauge.builder("astaire.edge.tun.mtu", node, EdgeNode::tunMtu).description("MTU set on the TUN device")
                .tags(common).register(registry);
        for (boolean answered : new boolean[] {true, false}) {
            io.micrometer.core.instrument.FunctionCounter.builder("astaire.oam.echo", node, n -> n.echoes(answered))
                    .description("NSH OAM echo requests this edge answered, or refused (malformed, a reply, over the rate cap)")
                    .tags(common.and("outcome", answered ? "answered" : "refused")).register(registry);
        }
        io.astaire.dataplane.oam.TraceReporter.bindMeters(registry, common, node, EdgeNode::traceReporters);
        Gauge.builder("astaire.sends.failing", node, n -> n.sendHealth().failing())
                .description("1 while every send to the next hops fails (the edge is then not ready), else 0").tags(common).register(registry);
        Gauge.builder("astaire.edge.ready", node, n -> n.ready() ? 1 : 0).description("1 once the edge forwards")
                .tags(common).register(registry);
        Gauge.builder("astaire.classifier.rules", node, n -> n.tables() == null ? 0 : n.tables().rules().size())
                .description("classifier rules of the applied version").tags(common).register(registry);
        Gauge.builder("astaire.classifier.tuples", node, n -> n.tables() == null ? 0 : n.tables().rules().tupleCount())
                .description("mask shapes (tuples) the classifier probes at most per new flow").tags(common).register(registry);
        Gauge.builder("astaire.classifier.memory", node, n -> n.tables() == null ? 0 : n.tables().rules().memoryBytes())
                .description("bytes held by the classifier's rules and index").baseUnit("bytes").tags(common).register(registry);
        classifier = new ClassifierMetrics(registry, node, common);
        Gauge.builder("astaire.topology.version", node, EdgeNode::appliedVersion).description("topology version applied")
                .tags(common).register(registry);
    }

    /** Every classifier rule's and chain's hits as JSON, for {@code GET /classifier/rules}. */
    public String classifierRulesJson() {
        return classifier.rulesJson();
    }

    /** The edge's owned routes: how many, and how many were put back after someone removed them. */
    public void routes(OwnedRoutes routes) {
        Gauge.builder("astaire.edge.routes", routes, r -> r.prefixes().size())
                .description("prefixes the edge routes into its TUN device itself (--route)").tags(common).register(registry);
        FunctionCounter.builder("astaire.edge.routes.restored", routes, OwnedRoutes::restored)
                .description("owned routes put back after someone removed them").tags(common).register(registry);
        FunctionCounter.builder("astaire.edge.routes.restore.failures", routes, OwnedRoutes::restoreFailures)
                .description("route checks in which a missing owned route could not be put back").tags(common).register(registry);
    }

    private void counter(String name, String help, EdgeStats stats, java.util.function.ToDoubleFunction<EdgeStats> f, Tags tags) {
        FunctionCounter.builder(name, stats, f).description(help).tags(common.and(tags)).register(registry);
    }

    /** Registers a series for every SPI counted since the last call. */
    public synchronized void refresh() {
        classifier.refresh();
        EdgeStats s = node.stats();
        for (int spi : s.sentPerSpi().keySet()) {
            if (sentSpis.add(spi)) {
                counter("astaire.edge.path.sent.packets", "packets sent into each path", s,
                        st -> st.sentPerSpi().getOrDefault(spi, 0L), Tags.of("spi", Integer.toString(spi)));
            }
        }
        for (int spi : s.deliveredPerSpi().keySet()) {
            if (deliveredSpis.add(spi)) {
                counter("astaire.edge.path.delivered.packets", "packets of each path delivered to the TUN device", s,
                        st -> st.deliveredPerSpi().getOrDefault(spi, 0L), Tags.of("spi", Integer.toString(spi)));
            }
        }
    }
}
