package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.dataplane.config.FileTopologySource;
import io.astaire.dataplane.oam.OamTrace;
import io.astaire.dataplane.oam.ProbePacket;
import io.astaire.dataplane.oam.TraceHop;
import io.astaire.dataplane.oam.TraceReport;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trace probes at a real function node on loopback sockets: a probe goes through the function
 * like any packet and the node reports what it did; a flood of probes and of broken ones is
 * capped and counted while ordinary traffic keeps flowing.
 */
class SfNodeTraceTest {

    static final int SPI = 10;

    @TempDir
    Path dir;

    private SfNode node(Sink sink) throws Exception {
        Path file = dir.resolve("topology.yaml");
        Files.writeString(file, """
                functions:
                  - {name: a, kind: drop-port-9, address: "127.0.0.1:%d"}
                chains:
                  - {name: web, spi: %d, symmetric: false, functions: [a]}
                egress: {address: "127.0.0.1:%d"}
                """.formatted(SfNodeChainTest.freePort(), SPI, sink.address().getPort()));
        return SfNode.builder().topology(new FileTopologySource(file), List.of("a")).workers(1).name("node-a")
                .metricsListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .functionFactory(TestFunctions::create).start();
    }

    private static byte[] probe(int dport, InetSocketAddress collector, long id) {
        byte[] inner = ProbePacket.build(ProbePacket.UDP, InetAddress.ofLiteral("10.0.0.1"), 40000, InetAddress.ofLiteral("10.20.0.7"),
                dport, 1);
        ByteBuffer b = ByteBuffer.allocate(OamTrace.HEADROOM + inner.length);
        b.put(OamTrace.HEADROOM, inner);
        OamTrace.encapsulate(b, OamTrace.HEADROOM, inner.length, SPI, 255, 63, id, collector, false);
        return b.array();
    }

    private static TraceReport receive(DatagramSocket collector) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[TraceReport.MAX_BYTES], TraceReport.MAX_BYTES);
        collector.receive(p);
        return TraceReport.parse(p.getData(), p.getLength());
    }

    @Test
    void aProbeGoesThroughTheFunctionAndTheNodeSaysWhatItDid() throws Exception {
        try (Sink sink = new Sink("egress", new InetSocketAddress("127.0.0.1", 0));
             SfNode node = node(sink);
             Generator gen = new Generator();
             DatagramSocket collector = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            collector.setSoTimeout(5000);
            InetSocketAddress to = (InetSocketAddress) collector.getLocalSocketAddress();
            gen.send(node.localAddress(), probe(80, to, 1));
            TraceReport forwarded = receive(collector);
            assertThat(forwarded.trace()).isEqualTo("0000000000000001");
            TraceHop h = forwarded.hop();
            assertThat(h.node()).isEqualTo("node-a");
            assertThat(h.functions()).containsExactly("a");
            assertThat(h.verdict()).isEqualTo(TraceHop.FORWARDED);
            assertThat(h.spi()).isEqualTo(SPI);
            assertThat(h.siIn()).isEqualTo(255);
            assertThat(h.siOut()).isEqualTo(254);
            assertThat(h.ttlIn()).isEqualTo(63);
            assertThat(h.ttlOut()).isEqualTo(62);
            assertThat(h.next()).isEqualTo("127.0.0.1:" + sink.address().getPort());
            assertThat(h.address()).isEqualTo("127.0.0.1:" + node.localAddress().getPort());

            gen.send(node.localAddress(), probe(9, to, 2)); // the function drops port 9
            TraceHop dropped = receive(collector).hop();
            assertThat(dropped.verdict()).isEqualTo(TraceHop.DROPPED);
            assertThat(dropped.reason()).isEqualTo("function_verdict");
            assertThat(dropped.droppedBy()).isEqualTo("a");

            byte[] lost = probe(80, to, 3);
            lost[8 + 7] = (byte) 200; // SI 200: no hop of this path here
            gen.send(node.localAddress(), lost);
            assertThat(receive(collector).hop().reason()).isEqualTo("unknown_path");
        }
    }

    /**
     * A header byte to break: not the O bit's (a datagram without it is ordinary traffic, forwarded),
     * nor the reply-to's flags, port and address (a probe that still parses would report to another
     * address, which this test does not listen on).
     */
    private static int brokenByte(Random random) {
        while (true) {
            int at = random.nextInt(OamTrace.HEADROOM);
            int value = at - OamTrace.valueOffset(8);
            if (at != 8 && !(value >= 1 && value <= 3) && value < 12) {
                return at;
            }
        }
    }

    @Test
    void aFloodOfProbesAndBrokenOnesIsCappedCountedAndOrdinaryTrafficFlows() throws Exception {
        try (Sink sink = new Sink("egress", new InetSocketAddress("127.0.0.1", 0));
             SfNode node = node(sink);
             Generator gen = new Generator();
             DatagramSocket collector = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            collector.setReceiveBufferSize(1 << 20); // every report waits here until the flood is over
            InetSocketAddress to = (InetSocketAddress) collector.getLocalSocketAddress();
            Random random = new Random(7);
            int probes = 3000;
            int ordinary = 2000;
            long start = System.nanoTime();
            for (int i = 0; i < probes; i++) {
                byte[] p = probe(80, to, i);
                if (i % 3 == 0) { // a third of them broken somewhere in the headers or cut short
                    p[brokenByte(random)] = (byte) random.nextInt(256);
                    if (random.nextBoolean()) {
                        p = java.util.Arrays.copyOf(p, random.nextInt(p.length));
                    }
                }
                gen.send(node.localAddress(), p);
                if (i < ordinary) {
                    gen.send(node.localAddress(), TestPackets.nsh(SPI, 255, 63,
                            TestPackets.udp4(ip("10.0.0.1") + i, ip("10.20.0.7"), 40000, 80, 100, i)));
                }
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> sink.received.size() >= ordinary);
            // Until the node had handled the last ordinary packet, and with it every probe sent before it.
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            String metrics = Metrics.get(node.metricsAddress(), "/metrics").body();
            double reported = Metrics.value(metrics, "astaire_oam_trace_total", "outcome", "reported");
            double limited = Metrics.value(metrics, "astaire_oam_trace_total", "outcome", "rate_limited");
            assertThat(reported).isPositive();
            assertThat(limited).isPositive();
            // One worker: at most its cap per second of the flood (and of the window the last reports went in).
            assertThat(reported).isLessThanOrEqualTo(20.0 * (seconds + 2));
            collector.setSoTimeout(1000);
            int reports = 0;
            try {
                while (receive(collector) != null) {
                    reports++;
                }
            } catch (SocketTimeoutException e) {
                // all read
            }
            assertThat(reports).isEqualTo((int) reported);
            assertThat(sink.received).hasSize(ordinary); // every ordinary packet went through, and no probe as one
        }
    }
}
