package io.astaire.dataplane.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.counters.DropReason;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.resolve.NameLookup;
import io.astaire.dataplane.testing.FixedTopologySource;
import io.astaire.dataplane.testing.NetNs;
import io.astaire.dataplane.testing.Packets;
import io.astaire.dataplane.tun.TunDevice;
import io.astaire.dataplane.tun.TunMtu;
import io.astaire.model.ChainSpec;
import io.astaire.model.TopologyCodec;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.WireError;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An ingress in a fresh namespace with a real TUN device: what the kernel routes into the device
 * leaves as VXLAN-GPE + NSH to the chain's first hop (a socket of this test), and a reverse-path
 * datagram sent to the ingress comes out of the device to the original sender.
 */
@Timeout(60)
class EdgeNodeTest {
    private NetNs ns;

    @BeforeEach
    void namespace() {
        String reason = NetNs.unavailableReason();
        assumeTrue(reason == null, () -> "edge test skipped: " + reason);
        assumeTrue(TunDevice.available(), "edge test skipped: /dev/net/tun is missing or not writable");
        ns = NetNs.create("asedge");
    }

    @AfterEach
    void cleanup() {
        if (ns != null) {
            ns.close();
        }
    }

    private static String topology(int firstHopPort, int ingressPort, String extra) {
        return """
                functions:
                  - {name: f1, kind: passthrough, address: 127.0.0.1:%d}
                chains:
                  - {name: web, spi: 10, functions: [f1]}
                rules:
                  - {name: udp-servers, priority: 10, protocol: udp, destination: 10.2.0.0/24, chain: web}
                ingress: {address: 127.0.0.1:%d}
                egress: {address: 127.0.0.1:4999}
                """.formatted(firstHopPort, ingressPort) + extra;
    }

    private static HopResolver literalResolver() {
        NameLookup none = host -> CompletableFuture.failedFuture(new IllegalStateException("no DNS in this test: " + host));
        return new HopResolver(none, HopResolver.Options.defaults());
    }

    @ParameterizedTest(name = "{0} worker(s)")
    @ValueSource(ints = {1, 2})
    void ingressEncapsulatesToTheFirstHopAndDeliversTheReversePath(int workers) throws Exception {
        ns.call(() -> {
            try (DatagramSocket firstHop = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                 DatagramSocket probe = new DatagramSocket(0)) {
                firstHop.setSoTimeout(5000);
                probe.setSoTimeout(5000);
                // The ingress listens on an ephemeral port; the topology names it for the reverse path.
                int ingressPort;
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                    ingressPort = s.getLocalPort();
                }
                FixedTopologySource source = new FixedTopologySource(
                        TopologyCodec.parse(topology(firstHop.getLocalPort(), ingressPort, "")));
                EdgeConfig config = EdgeConfig.defaults(EdgeRole.INGRESS, "tin0")
                        .withListen(new InetSocketAddress("127.0.0.1", ingressPort))
                        .withUnderlayMtu(1500)
                        .withWorkers(workers)
                        .withTunAddresses(List.of(new TunDevice.InterfaceAddress(Packets.ip("10.1.0.1"), 24)));
                try (EdgeNode ingress = EdgeNode.start(config, source, literalResolver())) {
                    assertThat(ingress.ready()).isTrue();
                    assertThat(ingress.tunMtu()).isEqualTo(1440);
                    assertThat(ns.exec("ip", "-o", "link", "show", "tin0")).contains("mtu 1440");
                    if (workers > 1) {
                        assertThat(ns.exec("ip", "-d", "link", "show", "tin0")).contains("multi_queue");
                    }
                    ns.exec("ip", "route", "add", "10.2.0.0/24", "dev", "tin0");
                    ns.exec("ip", "route", "add", "10.3.0.0/24", "dev", "tin0");

                    // Forward: a UDP datagram to the server network comes out at the first hop, wrapped.
                    byte[] payload = "to the server".getBytes(StandardCharsets.US_ASCII);
                    probe.send(new DatagramPacket(payload, payload.length, new InetSocketAddress("10.2.0.5", 7777)));
                    byte[] buf = new byte[2048];
                    DatagramPacket got = new DatagramPacket(buf, buf.length);
                    firstHop.receive(got);
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, got.getLength());
                    GpeNshPacket pkt = new GpeNshPacket();
                    assertThat(pkt.wrap(b, 0, got.getLength())).isEqualTo(WireError.OK);
                    assertThat(pkt.nsh().spi()).isEqualTo(10);
                    assertThat(pkt.nsh().si()).isEqualTo(255);
                    assertThat(pkt.nsh().ttl()).isEqualTo(63);
                    assertThat(pkt.nsh().mdType()).isEqualTo(NshHeader.MD_TYPE_1);
                    assertThat(pkt.nsh().nextProtocol()).isEqualTo(NshHeader.NEXT_PROTOCOL_IPV4);
                    InnerPacket inner = new InnerPacket();
                    assertThat(inner.wrap(b, pkt.innerOffset(), pkt.innerLength())).isEqualTo(WireError.OK);
                    assertThat(inner.ipv4Source()).isEqualTo(v4("10.1.0.1"));
                    assertThat(inner.ipv4Destination()).isEqualTo(v4("10.2.0.5"));
                    assertThat(inner.destinationPort()).isEqualTo(7777);
                    assertThat(inner.sourcePort()).isEqualTo(probe.getLocalPort());

                    // Reverse: the last function sends the reply on the reverse SPI with SI 254
                    // (one function applied), addressed to the ingress endpoint.
                    byte[] reply = Packets.udp4("10.2.0.5", 7777, "10.1.0.1", probe.getLocalPort(),
                            "from the server".getBytes(StandardCharsets.US_ASCII));
                    byte[] datagram = encapsulate(reply, ChainSpec.reverseSpi(10), 254);
                    firstHop.send(new DatagramPacket(datagram, datagram.length, new InetSocketAddress("127.0.0.1", ingressPort)));
                    DatagramPacket back = new DatagramPacket(new byte[2048], 2048);
                    probe.receive(back);
                    assertThat(new String(back.getData(), 0, back.getLength(), StandardCharsets.US_ASCII)).isEqualTo("from the server");
                    assertThat(back.getAddress()).isEqualTo(InetAddress.getByName("10.2.0.5"));

                    // No rule for TCP to 10.3.0.0/24: dropped and counted.
                    probe.send(new DatagramPacket(payload, payload.length, new InetSocketAddress("10.3.0.5", 7777)));
                    // Garbage and a path that does not end here, from the network.
                    firstHop.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, new InetSocketAddress("127.0.0.1", ingressPort)));
                    byte[] wrongPath = encapsulate(reply, 99, 255);
                    firstHop.send(new DatagramPacket(wrongPath, wrongPath.length, new InetSocketAddress("127.0.0.1", ingressPort)));
                    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                        EdgeStats s = ingress.stats();
                        assertThat(s.drops(DropReason.NO_MATCH)).isPositive();
                        assertThat(s.drops(DropReason.DECAP_MALFORMED)).isEqualTo(1);
                        assertThat(s.wireErrors(WireError.TRUNCATED)).isEqualTo(1);
                        assertThat(s.drops(DropReason.UNKNOWN_PATH)).isEqualTo(1);
                    });
                    EdgeStats s = ingress.stats();
                    assertThat(s.sentPerSpi()).containsEntry(10, 1L);
                    assertThat(s.deliveredPerSpi()).containsEntry(ChainSpec.reverseSpi(10), 1L);
                    assertThat(s.sent()).isEqualTo(1);
                    assertThat(s.delivered()).isEqualTo(1);
                }
                // The device went away with the edge.
                assertThat(ns.execResult(10, "ip", "link", "show", "tin0").exit()).isNotZero();
                return null;
            }
        });
    }

    @Test
    void tunMtuDefaultsToTheRoutedInterfacesMtuMinusTheEncapsulation() throws Exception {
        ns.exec("ip", "link", "add", "u0", "type", "veth", "peer", "name", "u1");
        ns.exec("ip", "link", "set", "u0", "mtu", "9000", "up");
        ns.exec("ip", "link", "set", "u1", "mtu", "9000", "up");
        ns.exec("ip", "addr", "add", "10.99.0.1/24", "dev", "u0");
        ns.call(() -> {
            FixedTopologySource source = new FixedTopologySource(TopologyCodec.parse("""
                    functions:
                      - {name: f1, kind: passthrough, address: 10.99.0.11:4790}
                    chains:
                      - {name: web, spi: 10, symmetric: false, functions: [f1]}
                    egress: {address: 10.99.0.2:4790}
                    """));
            EdgeConfig config = EdgeConfig.defaults(EdgeRole.INGRESS, "tmtu0").withListen(new InetSocketAddress("127.0.0.1", 0));
            try (EdgeNode ingress = EdgeNode.start(config, source, literalResolver())) {
                assertThat(ingress.tunMtu()).isEqualTo(9000 - TunMtu.OVERHEAD_IPV4);
            }
            // The egress of a one-way chain sends nothing: it takes the way to the function that sends to it.
            EdgeConfig egress = EdgeConfig.defaults(EdgeRole.EGRESS, "tmtu1").withListen(new InetSocketAddress("127.0.0.1", 0));
            try (EdgeNode node = EdgeNode.start(egress, source, literalResolver())) {
                assertThat(node.tunMtu()).isEqualTo(9000 - TunMtu.OVERHEAD_IPV4);
            }
            return null;
        });
    }

    @Test
    void aDeviceDeletedUnderTheEdgeMakesItNotReadyWithoutSpinning() throws Exception {
        ns.call(() -> {
            FixedTopologySource source = new FixedTopologySource(TopologyCodec.parse(topology(4791, 4790, "")));
            EdgeConfig config = EdgeConfig.defaults(EdgeRole.INGRESS, "tdel0")
                    .withListen(new InetSocketAddress("127.0.0.1", 0)).withUnderlayMtu(1500);
            try (EdgeNode ingress = EdgeNode.start(config, source, literalResolver())) {
                assertThat(ingress.ready()).isTrue();
                ns.exec("ip", "link", "del", "tdel0");
                await().atMost(Duration.ofSeconds(5)).until(() -> !ingress.ready());
                assertThat(ingress.notReadyReason()).contains("tdel0").contains("deleted");
                long errors = ingress.stats().tunReadErrors();
                Thread.sleep(1000);
                // A worker that spun on the failing descriptor would count thousands per second.
                assertThat(ingress.stats().tunReadErrors() - errors).isBetween(1L, 30L);
            }
            return null;
        });
    }

    @Test
    void aTunPacketThatIsNotValidIpIsCountedByWhatTheDecoderFound() throws Exception {
        ns.call(() -> {
            FixedTopologySource source = new FixedTopologySource(TopologyCodec.parse(topology(4791, 4790, "")));
            // Plain reads (no virtio_net_hdr): every packet is decoded by the classifier's side.
            EdgeConfig config = EdgeConfig.defaults(EdgeRole.INGRESS, "tbad0")
                    .withListen(new InetSocketAddress("127.0.0.1", 0)).withUnderlayMtu(1500)
                    .withOffload(io.astaire.dataplane.transport.TransportOptions.Offload.OFF)
                    .withTunAddresses(List.of(new TunDevice.InterfaceAddress(Packets.ip("10.1.0.1"), 24)));
            try (EdgeNode ingress = EdgeNode.start(config, source, literalResolver())) {
                ns.exec("ip", "route", "add", "10.2.0.0/24", "dev", "tbad0");
                // A raw socket lets the kernel send IPv4 "UDP" with 3 bytes where the 8-byte header goes.
                ns.exec("python3", "-c", "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP); "
                        + "s.sendto(bytes([19, 136, 0]), ('10.2.0.5', 0))");
                await().atMost(Duration.ofSeconds(5)).until(() -> ingress.stats().drops(DropReason.TUN_MALFORMED) == 1);
                java.util.Map<WireError, Long> byReason = new java.util.EnumMap<>(WireError.class);
                for (WireError e : WireError.values()) {
                    if (e != WireError.OK && ingress.stats().tunMalformed(e) > 0) {
                        byReason.put(e, ingress.stats().tunMalformed(e));
                    }
                }
                assertThat(byReason).as("by what the decoder found").isEqualTo(java.util.Map.of(WireError.INNER_TRUNCATED, 1L));
                assertThat(ingress.stats().sent()).isZero();
                // /metrics, rendered from the counters' descriptors: the names and labels as before, and the new series.
                io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
                        new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
                new EdgeMetrics(registry, ingress);
                String text = registry.scrape();
                assertThat(text).contains("astaire_edge_dropped_packets_total{reason=\"tun_malformed\",role=\"ingress\"} 1.0")
                        .contains("astaire_edge_tun_malformed_packets_total{reason=\"inner_truncated\",role=\"ingress\"} 1.0")
                        .containsPattern("astaire_edge_dropped_packets_total\\{reason=\"no_match\",role=\"ingress\"} \\d")
                        .contains("astaire_edge_dropped_packets_total{reason=\"vnet_no_room\",role=\"ingress\"} 0.0")
                        .contains("astaire_edge_wire_errors_total{error=\"bad_version\",role=\"ingress\"} 0.0")
                        .containsPattern("astaire_edge_tun_read_packets_total\\{role=\"ingress\"} \\d") // and what else the kernel routes here
                        .contains("astaire_edge_internal_errors_total{role=\"ingress\"} 0.0")
                        .contains("astaire_topology_rejected_total{reason=\"bad_topology\",role=\"ingress\"} 0.0")
                        .contains("astaire_topology_rejected_version{role=\"ingress\"} 0.0")
                        .contains("astaire_classifier_rules{role=\"ingress\"} " + (double) ingress.tables().rules().size())
                        .contains("astaire_classifier_tuples{role=\"ingress\"} " + (double) ingress.tables().rules().tupleCount())
                        .containsPattern("astaire_classifier_memory_bytes\\{role=\"ingress\"} [1-9]")
                        .doesNotContain("reason=\"ttl_expired\"");
            }
            return null;
        });
    }

    @Test
    void closeOnAnInterruptedThreadWaitsForTheWorkersBeforeFreeingTheirDevice() throws Exception {
        ns.call(() -> {
            FixedTopologySource source = new FixedTopologySource(TopologyCodec.parse(topology(4791, 4790, "")));
            EdgeConfig config = EdgeConfig.defaults(EdgeRole.INGRESS, "tint0")
                    .withListen(new InetSocketAddress("127.0.0.1", 0)).withUnderlayMtu(1500).withWorkers(2);
            EdgeNode ingress = EdgeNode.start(config, source, literalResolver());
            List<Thread> workers = ingress.workerThreads();
            assertThat(workers).hasSize(4).allMatch(Thread::isAlive);
            Thread.currentThread().interrupt();
            try {
                ingress.close();
                // They wait in a poll or receive of up to 100 ms: joins that returned at once would
                // free the TUN descriptors and buffers under them.
                assertThat(workers).as("every worker ended before close returned").noneMatch(Thread::isAlive);
                assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is kept").isTrue();
            } finally {
                Thread.interrupted();
            }
            return null;
        });
    }

    private static int v4(String a) {
        return ByteBuffer.wrap(Packets.ip(a).getAddress()).getInt();
    }

    private static byte[] encapsulate(byte[] inner, int spi, int si) {
        ByteBuffer b = ByteBuffer.allocate(GpeNshPacket.HEADROOM_MD1 + inner.length);
        b.put(GpeNshPacket.HEADROOM_MD1, inner);
        int start = GpeNshPacket.encapsulateMd1(b, GpeNshPacket.HEADROOM_MD1, inner.length, spi, si, 62, NshHeader.NEXT_PROTOCOL_IPV4);
        assertThat(start).isZero();
        return b.array();
    }
}
