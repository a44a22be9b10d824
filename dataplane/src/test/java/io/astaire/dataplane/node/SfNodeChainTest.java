package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.dataplane.config.FileTopologySource;
import io.astaire.model.ChainSpec;
import io.astaire.model.HopAddress;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes on real loopback sockets between a test generator and a test sink (the egress), with
 * the topology read from a YAML file: what a chain does to packets, and what the nodes count.
 */
class SfNodeChainTest {

    static final int SPI = 10;

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        closeables.add(c);
        return c;
    }

    static int freePort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private Path topology(int a, int b, int c, int egress, String kindA, String kindB, String kindC) throws IOException {
        Path file = dir.resolve("topology.yaml");
        Files.writeString(file, """
                functions:
                  - {name: a, kind: %s, address: "127.0.0.1:%d"}
                  - {name: b, kind: %s, address: "127.0.0.1:%d"}
                  - {name: c, kind: %s, address: "127.0.0.1:%d"}
                chains:
                  - {name: web, spi: %d, symmetric: false, functions: [a, b, c]}
                egress: {address: "127.0.0.1:%d"}
                """.formatted(kindA, a, kindB, b, kindC, c, SPI, egress));
        return file;
    }

    private SfNode node(Path topology, String... functions) {
        return track(SfNode.builder()
                .topology(new FileTopologySource(topology), List.of(functions))
                .workers(2)
                .metricsListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .functionFactory(TestFunctions::create)
                .start());
    }

    private static byte[] flow(int i, int dstPort) {
        return TestPackets.udp4(ip("10.0.0.1") + i, ip("10.20.0.7"), 40000 + i, dstPort, 100 + i, i);
    }

    @Test
    void aThreeNodeChainDecrementsSiAndTtlOncePerHopAndKeepsTheInnerPacket() throws Exception {
        Sink sink = track(new Sink("egress", new InetSocketAddress("127.0.0.1", 0)));
        int pa = freePort();
        int pb = freePort();
        int pc = freePort();
        Path topo = topology(pa, pb, pc, sink.address().getPort(), "stamp", "stamp", "stamp");
        SfNode a = node(topo, "a");
        SfNode b = node(topo, "b");
        SfNode c = node(topo, "c");
        assertThat(Metrics.get(a.metricsAddress(), "/readyz").statusCode()).isEqualTo(200);
        assertThat(Metrics.get(a.metricsAddress(), "/healthz").statusCode()).isEqualTo(200);
        Generator gen = track(new Generator());
        int count = 200;
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] inner = flow(i, 80);
            sent.add(inner);
            gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 63, inner));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> sink.received.size() >= count);
        Map<Integer, TestPackets.Received> bySeed = sink.received.stream()
                .collect(Collectors.toMap(TestPackets.Received::innerSeed, Function.identity()));
        assertThat(bySeed).hasSize(count);
        for (int i = 0; i < count; i++) {
            TestPackets.Received r = bySeed.get(i);
            assertThat(r.spi()).isEqualTo(SPI);
            assertThat(r.si()).as("three functions applied").isEqualTo(252);
            assertThat(r.ttl()).as("three forwarders").isEqualTo(60);
            assertThat(r.context0()).as("each function saw the packet once").isEqualTo(3);
            assertThat(Arrays.equals(r.inner(), sent.get(i))).as("inner packet %d intact", i).isTrue();
        }
        String metrics = Metrics.get(b.metricsAddress(), "/metrics").body();
        assertThat(Metrics.value(metrics, "astaire_sf_packets_received_total", "spi", "10")).isEqualTo(count);
        assertThat(Metrics.value(metrics, "astaire_sf_packets_sent_total", "spi", "10")).isEqualTo(count);
        assertThat(Metrics.value(metrics, "astaire_sf_function_packets_total", "function", "b")).isEqualTo(count);
        assertThat(Metrics.value(metrics, "astaire_sf_hop_latency_seconds_count")).isEqualTo(count);
        assertThat(c.topologyVersion()).isEqualTo(1);
    }

    @Test
    void dropsBadPacketsCountsThemByReasonAndKeepsForwarding() throws Exception {
        Sink sink = track(new Sink("egress", new InetSocketAddress("127.0.0.1", 0)));
        int pa = freePort();
        int pb = freePort();
        int pc = freePort();
        Path topo = topology(pa, pb, pc, sink.address().getPort(), "stamp", "drop-port-9", "explode");
        SfNode a = node(topo, "a");
        SfNode b = node(topo, "b");
        SfNode c = node(topo, "c");
        Generator gen = track(new Generator());

        gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 1, flow(1, 80)));       // TTL expires at a
        gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 2, flow(2, 80)));       // ... and at b
        gen.send(a.localAddress(), TestPackets.nsh(999, 255, 63, flow(3, 80)));      // unknown SPI
        gen.send(a.localAddress(), TestPackets.nsh(SPI, 254, 63, flow(4, 80)));      // b's hop, sent to a
        gen.send(a.localAddress(), new byte[] {1, 2, 3});                            // not even a GPE header
        byte[] badVersion = TestPackets.nsh(SPI, 255, 63, flow(5, 80));
        badVersion[8] |= (byte) 0xC0;                                                // NSH version 3
        gen.send(a.localAddress(), badVersion);
        byte[] innerCut = TestPackets.nsh(SPI, 255, 63, flow(6, 80));
        gen.send(a.localAddress(), Arrays.copyOf(innerCut, innerCut.length - 10));   // inner shorter than its IP length
        gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 63, flow(7, 9)));       // b's function drops port 9
        gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 63, flow(8, 13)));      // c's function throws

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String ma = Metrics.get(a.metricsAddress(), "/metrics").body();
            assertThat(Metrics.value(ma, "astaire_sf_dropped_packets_total", "reason", "ttl_expired")).isEqualTo(1);
            assertThat(Metrics.value(ma, "astaire_sf_dropped_packets_total", "reason", "unknown_path")).isEqualTo(2);
            assertThat(Metrics.value(ma, "astaire_sf_dropped_packets_total", "reason", "malformed")).isEqualTo(3);
            assertThat(Metrics.value(ma, "astaire_sf_dropped_packets_total", "reason", "malformed", "detail", "bad_version")).isEqualTo(1);
            assertThat(Metrics.value(ma, "astaire_sf_datagrams_received_total")).isEqualTo(9);
            String mb = Metrics.get(b.metricsAddress(), "/metrics").body();
            assertThat(Metrics.value(mb, "astaire_sf_dropped_packets_total", "reason", "ttl_expired")).isEqualTo(1);
            assertThat(Metrics.value(mb, "astaire_sf_dropped_packets_total", "reason", "function_verdict", "detail", "b")).isEqualTo(1);
            assertThat(Metrics.value(mb, "astaire_sf_function_dropped_packets_total", "function", "b")).isEqualTo(1);
            String mc = Metrics.get(c.metricsAddress(), "/metrics").body();
            assertThat(Metrics.value(mc, "astaire_sf_dropped_packets_total", "reason", "internal_error")).isEqualTo(1);
        });
        assertThat(sink.received).isEmpty();

        // every node still forwards
        for (int i = 0; i < 20; i++) {
            gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 63, flow(100 + i, 80)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 20);
        assertThat(sink.received).allSatisfy(r -> assertThat(r.si()).isEqualTo(252));
    }

    @Test
    void oneNodeRunsTwoFunctionsOfAPathInOnePass() throws Exception {
        Sink sink = track(new Sink("egress", new InetSocketAddress("127.0.0.1", 0)));
        int pab = freePort();
        int pc = freePort();
        // a and b share an address: one node runs both
        Path topo = topology(pab, pab, pc, sink.address().getPort(), "stamp", "stamp", "stamp");
        SfNode ab = node(topo, "a", "b");
        node(topo, "c");
        Generator gen = track(new Generator());
        for (int i = 0; i < 10; i++) {
            gen.send(ab.localAddress(), TestPackets.nsh(SPI, 255, 63, flow(i, 80)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 10);
        assertThat(sink.received).allSatisfy(r -> {
            assertThat(r.si()).isEqualTo(252);
            assertThat(r.ttl()).as("two forwarders, not three").isEqualTo(61);
            assertThat(r.context0()).isEqualTo(3);
        });
        String m = Metrics.get(ab.metricsAddress(), "/metrics").body();
        assertThat(Metrics.value(m, "astaire_sf_function_packets_total", "function", "a")).isEqualTo(10);
        assertThat(Metrics.value(m, "astaire_sf_function_packets_total", "function", "b")).isEqualTo(10);
        assertThat(Metrics.value(m, "astaire_sf_packets_sent_total", "spi", "10")).isEqualTo(10);
    }

    @Test
    void aTopologyChangeIsPickedUpWithoutRestart() throws Exception {
        Sink first = track(new Sink("first", new InetSocketAddress("127.0.0.1", 0)));
        Sink second = track(new Sink("second", new InetSocketAddress("127.0.0.1", 0)));
        int pa = freePort();
        Path file = dir.resolve("one.yaml");
        String yaml = """
                functions:
                  - {name: a, kind: stamp, address: "127.0.0.1:%d"}
                chains:
                  - {name: web, spi: 10, symmetric: false, functions: [a]}
                egress: {address: "127.0.0.1:%d"}
                """;
        Files.writeString(file, yaml.formatted(pa, first.address().getPort()));
        FileTopologySource source = new FileTopologySource(file, Duration.ofMillis(100));
        SfNode a = track(SfNode.builder().topology(source, List.of("a")).workers(1)
                .functionFactory(TestFunctions::create).start());
        Generator gen = track(new Generator());
        gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 63, flow(1, 80)));
        await().atMost(Duration.ofSeconds(10)).until(() -> first.received.size() == 1);

        Files.writeString(file, "functions: [ {name: a, kind: stamp} ]\n"); // invalid: no address
        Thread.sleep(400); // the watcher sees it and must keep version 1 (not a timing assertion)
        assertThat(a.topologyVersion()).isEqualTo(1);
        gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 63, flow(2, 80)));
        await().atMost(Duration.ofSeconds(10)).until(() -> first.received.size() == 2);

        Files.writeString(file, yaml.formatted(pa, second.address().getPort()));
        await().atMost(Duration.ofSeconds(10)).until(() -> a.topologyVersion() == 2);
        gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 63, flow(3, 80)));
        await().atMost(Duration.ofSeconds(10)).until(() -> second.received.size() == 1);
        assertThat(first.received).hasSize(2);
    }

    @Test
    void aSecondNodeOnTheSamePortFailsInsteadOfSharingItsTraffic() throws Exception {
        Sink sink = track(new Sink("next", new InetSocketAddress("127.0.0.1", 0)));
        int port = freePort();
        SfNode.Builder builder = SfNode.builder()
                .fixed(List.of("stamp"), HopAddress.parse("127.0.0.1:" + sink.address().getPort()))
                .listen(new InetSocketAddress("127.0.0.1", port)).workers(2).functionFactory(TestFunctions::create);
        track(builder.start());
        org.assertj.core.api.Assertions.assertThatThrownBy(builder::start)
                .hasMessageContaining("127.0.0.1:" + port).hasMessageContaining("already in use");
    }

    @Test
    void fixedModeAppliesTheKindsInOrderAndForwardsEverythingToNext() throws Exception {
        Sink sink = track(new Sink("next", new InetSocketAddress("127.0.0.1", 0)));
        SfNode node = track(SfNode.builder()
                .fixed(List.of("stamp", "stamp"), HopAddress.parse("127.0.0.1:" + sink.address().getPort()))
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .workers(1)
                .functionFactory(TestFunctions::create)
                .start());
        Generator gen = track(new Generator());
        gen.send(node.localAddress(), TestPackets.nsh(77, 200, 10, flow(1, 80)));
        gen.send(node.localAddress(), TestPackets.nsh(ChainSpec.reverseSpi(77), 255, 63, flow(2, 80)));
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 2);
        TestPackets.Received r = sink.received.stream().filter(x -> x.spi() == 77).findFirst().orElseThrow();
        assertThat(r.si()).isEqualTo(198);
        assertThat(r.ttl()).isEqualTo(9);
        assertThat(r.context0()).isEqualTo(2);
        assertThat(node.scrape()).contains("astaire_sf_packets_sent_total{spi=\"any\"} 2.0");
    }
}
