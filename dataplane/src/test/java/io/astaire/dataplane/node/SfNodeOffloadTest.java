package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.dataplane.transport.UdpOffload;
import io.astaire.model.HopAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node's outer UDP: flows leave from several source ports (one port per flow) unless told to use
 * the listening port, and /metrics says which offloads the workers use.
 */
class SfNodeOffloadTest {

    @BeforeEach
    void requireNative() {
        assumeTrue(DatagramTransports.nativeSupported(), "the native transport needs Linux x86_64/aarch64");
    }

    private static SfNode node(InetSocketAddress next, TransportOptions.Offload offload, int sourcePorts) {
        return SfNode.builder()
                .fixed(List.of("stamp"), HopAddress.parse("127.0.0.1:" + next.getPort()))
                .listen(new InetSocketAddress("127.0.0.1", 0)).workers(1).transport(DatagramTransports.Kind.NATIVE)
                .offload(offload).sourcePorts(sourcePorts).metricsListen(new InetSocketAddress("127.0.0.1", 0))
                .functionFactory(TestFunctions::create).start();
    }

    /** Sends {@code flows} flows through the node, {@code rounds} packets each; returns flow → source ports seen. */
    private static Map<Integer, Set<Integer>> sourcePortsOfFlows(SfNode node, DatagramTransport sink, int flows, int rounds) {
        Map<Integer, Set<Integer>> ports = new HashMap<>();
        PacketBatch in = new PacketBatch(64, 9216, 0);
        try (Generator gen = new Generator()) {
            for (int round = 0; round < rounds; round++) {
                for (int f = 0; f < flows; f++) {
                    byte[] inner = TestPackets.udp4(ip("10.0.0.1"), ip("10.0.0.2"), 1000 + f, 80, 64, f);
                    gen.send(node.localAddress(), TestPackets.nsh(10, 255, 63, inner));
                }
                int seen = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (seen < flows && System.nanoTime() < deadline) {
                    int n = sink.receive(in);
                    for (int i = 0; i < n; i++) {
                        byte[] copy = new byte[in.length(i)];
                        in.buffer(i).get(in.offset(i), copy);
                        int flow = java.nio.ByteBuffer.wrap(TestPackets.decode(copy, "sink").inner()).getInt(28); // the seed
                        ports.computeIfAbsent(flow, k -> new HashSet<>()).add(in.source(i).getPort());
                        seen++;
                    }
                }
                assertThat(seen).isEqualTo(flows);
            }
        }
        return ports;
    }

    private static DatagramTransport sink() {
        return DatagramTransports.open(DatagramTransports.Kind.NATIVE, TransportOptions.defaults(new InetSocketAddress("127.0.0.1", 0))
                .withReusePort(false).withReceiveTimeout(Duration.ofMillis(50)).withKeepSourceAddress(true));
    }

    @Test
    void eachFlowLeavesFromOneOfSeveralSourcePorts() {
        try (DatagramTransport sink = sink(); SfNode node = node(sink.localAddress(), TransportOptions.Offload.AUTO, 8)) {
            Map<Integer, Set<Integer>> ports = sourcePortsOfFlows(node, sink, 64, 2);
            Set<Integer> all = new HashSet<>();
            ports.forEach((flow, p) -> {
                assertThat(p).as("source ports of flow %d", flow).hasSize(1);
                all.addAll(p);
            });
            assertThat(all).hasSizeGreaterThan(1).hasSizeLessThanOrEqualTo(8).doesNotContain(node.localAddress().getPort());
        }
    }

    @Test
    void aHopFedByOneUpstreamHopUsesBothOfItsWorkers() throws Exception {
        // The upstream spreads 128 flows over 32 source ports; the next hop's two SO_REUSEPORT
        // sockets are picked by the kernel's 4-tuple hash, so both get some (all 32 ports on one
        // socket: chance 2^-31). With one source port, everything would land on one worker.
        try (DatagramTransport sink = sink();
             SfNode second = SfNode.builder()
                     .fixed(List.of("stamp"), HopAddress.parse("127.0.0.1:" + sink.localAddress().getPort()))
                     .listen(new InetSocketAddress("127.0.0.1", 0)).workers(2).transport(DatagramTransports.Kind.NATIVE)
                     .metricsListen(new InetSocketAddress("127.0.0.1", 0)).functionFactory(TestFunctions::create).start();
             SfNode first = node(second.localAddress(), TransportOptions.Offload.AUTO, 32)) {
            int flows = 128;
            Map<Integer, Set<Integer>> ports = sourcePortsOfFlows(first, sink, flows, 2);
            assertThat(ports).hasSize(flows);
            String text = Metrics.get(second.metricsAddress(), "/metrics").body();
            double w0 = Metrics.value(text, "astaire_sf_worker_datagrams_received_total", "worker", "0");
            double w1 = Metrics.value(text, "astaire_sf_worker_datagrams_received_total", "worker", "1");
            assertThat(w0 + w1).isEqualTo(2.0 * flows);
            assertThat(w0).as("worker 0 of the second hop").isPositive();
            assertThat(w1).as("worker 1 of the second hop").isPositive();
        }
    }

    @Test
    void oneSourcePortIsTheListeningPort() {
        try (DatagramTransport sink = sink(); SfNode node = node(sink.localAddress(), TransportOptions.Offload.AUTO, 1)) {
            Set<Integer> all = new HashSet<>();
            sourcePortsOfFlows(node, sink, 16, 1).values().forEach(all::addAll);
            assertThat(all).containsExactly(node.localAddress().getPort());
        }
    }

    @Test
    void metricsSayWhichOffloadsAreInUse() throws Exception {
        try (DatagramTransport sink = sink()) {
            try (SfNode node = node(sink.localAddress(), TransportOptions.Offload.AUTO, 8)) {
                String text = Metrics.get(node.metricsAddress(), "/metrics").body();
                assertThat(Metrics.value(text, "astaire_udp_offload", "feature", "gso")).isEqualTo(UdpOffload.gsoSupported() ? 1.0 : 0.0);
                assertThat(Metrics.value(text, "astaire_udp_offload", "feature", "gro")).isEqualTo(UdpOffload.groSupported() ? 1.0 : 0.0);
            }
            try (SfNode node = node(sink.localAddress(), TransportOptions.Offload.OFF, 8)) {
                String text = Metrics.get(node.metricsAddress(), "/metrics").body();
                assertThat(text).contains("astaire_udp_offload{feature=\"gso\"} 0").contains("astaire_udp_offload{feature=\"gro\"} 0");
            }
        }
    }
}
