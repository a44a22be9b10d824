package io.astaire.dataplane.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.dataplane.config.TopologySource;
import io.astaire.dataplane.forward.Route;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.model.ChainSpec;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.astaire.wire.FlowKey;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An edge's deferral: while the controller has not reported the newest version ready, the edge
 * classifies and originates by the ready one, and terminates the newest at once (keeping the
 * previous generation's terminal routes for the drain time).
 */
class EdgeTablesDeferralTest {
    private final HopResolver resolver = new HopResolver(
            host -> CompletableFuture.failedFuture(new IllegalStateException("no DNS here: " + host)), HopResolver.Options.defaults());

    @AfterEach
    void close() {
        resolver.close();
    }

    private static Topology topology(String webFunctions, String ruleChain) {
        return TopologyCodec.parse("""
                functions:
                  - {name: a, kind: passthrough, address: "127.0.0.1:5001"}
                  - {name: b, kind: passthrough, address: "127.0.0.1:5002"}
                chains:
                  - {name: web, spi: 10, functions: [%s]}
                  - {name: other, spi: 11, symmetric: false, functions: [b]}
                rules:
                  - {name: r, protocol: udp, chain: %s}
                ingress: {address: "127.0.0.1:4790"}
                egress: {address: "127.0.0.1:4794"}
                """.formatted(webFunctions, ruleChain));
    }

    private static final FlowKey UDP = new FlowKey().ipv4(0x0A000001, 0x0A020007, 17, 4000, 53);

    @Test
    void theIngressSendsByTheReadyVersionAndTerminatesTheNewestAtOnce() {
        Topology v1 = topology("a", "web");
        Topology v2 = topology("b, a", "other"); // web gets b in front; the rule moves to 'other'
        EdgeTables t1 = EdgeTables.build(EdgeRole.INGRESS, new TopologySource.Versioned(1, v1), null, Duration.ofSeconds(30), resolver);
        EdgeTables t2 = EdgeTables.build(EdgeRole.INGRESS, new TopologySource.Versioned(2, v2, 1, v1), t1, Duration.ofSeconds(30), resolver);

        Route<Object> first = t2.forwarding().route(10, 255);
        assertThat(first.next().name().port()).as("web still starts at a (v1) while v2 is not ready").isEqualTo(5001);
        assertThat(first.generation()).isEqualTo(v1.paths().getFirst().generation());
        assertThat(t2.rules().classify(UDP)).as("classified by v1's rule").isEqualTo(10);

        int reverse = ChainSpec.reverseSpi(10);
        int g1 = v1.paths().get(1).generation();
        int g2 = v2.paths().get(1).generation();
        assertThat(t2.forwarding().route(reverse, 253, g2)).as("v2's reverse path (a, b, ingress) ends here at SI 253").isNotNull();
        assertThat(t2.forwarding().route(reverse, 253, g2).terminal()).isTrue();
        assertThat(t2.forwarding().route(reverse, 254, g1).terminal()).as("v1's reverse path (a, ingress) still ends here").isTrue();

        EdgeTables ready = EdgeTables.build(EdgeRole.INGRESS, new TopologySource.Versioned(2, v2), t2, Duration.ofSeconds(30), resolver);
        assertThat(ready.forwarding().route(10, 255).next().name().port()).as("v2 ready: web starts at b").isEqualTo(5002);
        assertThat(ready.forwarding().route(10, 255).generation()).isEqualTo(v2.paths().getFirst().generation());
        assertThat(ready.rules().classify(UDP)).isEqualTo(11);
        assertThat(ready.forwarding().route(reverse, 254, g1).terminal()).as("v1's reverse path drains").isTrue();
    }

    @Test
    void theEgressDeliversBothGenerationsOfAForwardPathWhileItDrains() {
        Topology v1 = topology("a", "web");
        Topology v2 = topology("a, b", "web");
        EdgeTables t1 = EdgeTables.build(EdgeRole.EGRESS, new TopologySource.Versioned(1, v1), null, Duration.ofSeconds(30), resolver);
        EdgeTables t2 = EdgeTables.build(EdgeRole.EGRESS, new TopologySource.Versioned(2, v2, 1, v1), t1, Duration.ofSeconds(30), resolver);
        assertThat(t2.forwarding().route(10, 254, v1.paths().getFirst().generation()).terminal()).isTrue();
        assertThat(t2.forwarding().route(10, 253, v2.paths().getFirst().generation()).terminal()).isTrue();
        // without drain time the old generation is gone at once
        EdgeTables noDrain = EdgeTables.build(EdgeRole.EGRESS, new TopologySource.Versioned(2, v2, 1, v1), t1, Duration.ZERO, resolver);
        assertThat(noDrain.forwarding().route(10, 254, v1.paths().getFirst().generation())).isNull();
    }
}
