package io.astaire.dataplane.oam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.testing.Cmd;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.wire.Checksums;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.WireError;
import io.astaire.wire.pcap.PcapWriter;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trace probe's layout (docs/wire.md, "Trace probes"), its checks, the probe packets, and a reporter on real sockets. */
class OamTraceTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final long ID = 0x0123456789ABCDEFL;

    @TempDir
    Path dir;

    private static ByteBuffer probe(byte[] inner, InetSocketAddress replyTo) {
        ByteBuffer b = ByteBuffer.allocate(OamTrace.HEADROOM + inner.length);
        b.put(OamTrace.HEADROOM, inner);
        assertThat(OamTrace.encapsulate(b, OamTrace.HEADROOM, inner.length, 0, 255, 63, ID, replyTo, false)).isZero();
        return b;
    }

    private static byte[] icmp() {
        return ProbePacket.build(ProbePacket.ICMP, InetAddress.ofLiteral("10.1.0.2"), 0, InetAddress.ofLiteral("10.2.0.2"), 0, 7);
    }

    @Test
    void theProbeHeadersAreTheDocumentedOnes() {
        ByteBuffer b = probe(icmp(), new InetSocketAddress("10.99.0.100", 40000));
        assertThat(HEX.formatHex(b.array(), 0, OamTrace.HEADROOM)).isEqualTo(
                "0c00000400000000" // VXLAN-GPE: I+P, next protocol NSH, VNI 0
                        + "2fca0201" + "000000ff" // NSH: O bit, TTL 63, 10 words, MD2, next protocol IPv4; SPI 0, SI 255
                        + "fff6011c" // TLV: class 0xFFF6 (experimental), type 1, 28 bytes
                        + "01" + "00" + "9c40" // version 1, forward leg, IPv4 reply-to; port 40000
                        + "0123456789abcdef" // trace id
                        + "0a630064" + "00".repeat(12)); // reply-to address
        assertThat(OamTrace.isProbe(new GpeNshPacket(), b, 0, b.capacity())).isTrue();
        assertThat(OamTrace.traceId(b, 8)).isEqualTo(ID);
        assertThat(OamTrace.reverse(b, 8)).isFalse();
        assertThat(OamTrace.replyTo(b, 8)).isEqualTo(new InetSocketAddress("10.99.0.100", 40000));
        OamTrace.markReverse(b, 8);
        assertThat(OamTrace.reverse(b, 8)).isTrue();

        ByteBuffer v6 = probe(icmp(), new InetSocketAddress("2001:db8::7", 9));
        assertThat(OamTrace.replyTo(v6, 8)).isEqualTo(new InetSocketAddress("2001:db8::7", 9));
    }

    @Test
    void everyBrokenFieldMakesItNotAProbe() {
        GpeNshPacket packet = new GpeNshPacket();
        InetSocketAddress to = new InetSocketAddress("10.99.0.100", 40000);
        int[][] edits = {
                {8, 0x0F, 0x00}, // O bit cleared (and the rest of byte 0 kept)
                {10, 0x01}, // MD type 1
                {11, 0xFE}, // next protocol not IP
                {16, 0x00}, // another metadata class
                {18, 0x02}, // another type
                {19, 0x1B}, // another length
                {20, 0x02}, // another version
        };
        for (int[] e : edits) {
            ByteBuffer b = probe(icmp(), to);
            b.put(e[0], (byte) (e.length == 3 ? b.get(e[0]) & e[1] : e[1]));
            assertThat(OamTrace.isProbe(packet, b, 0, b.capacity())).as("byte %d", e[0]).isFalse();
        }
        ByteBuffer b = probe(icmp(), to);
        for (int len = 0; len < OamTrace.HEADROOM + 20; len++) { // up to a whole IPv4 header after the NSH
            assertThat(OamTrace.isProbe(packet, b, 0, len)).as("truncated to %d", len).isFalse();
        }
        ByteBuffer big = probe(new byte[OamTrace.MAX_LENGTH], to); // not even IP, and too long anyway
        assertThat(OamTrace.isProbe(packet, big, 0, big.capacity())).isFalse();
        // Reply-to addresses no report may go to.
        for (String bad : List.of("0.0.0.0", "0.1.2.3", "224.0.0.1", "::")) {
            assertThat(OamTrace.replyTo(probe(icmp(), new InetSocketAddress(bad, 9)), 8)).as(bad).isNull();
        }
        assertThat(OamTrace.replyTo(probe(icmp(), new InetSocketAddress("10.0.0.1", 0)), 8)).isNull();
    }

    @Test
    void randomBytesWithTheOBitAreNeverTakenForAProbeAndNeverThrow() {
        Random random = new Random(20261204);
        GpeNshPacket packet = new GpeNshPacket();
        ByteBuffer valid = probe(icmp(), new InetSocketAddress("10.99.0.100", 40000));
        for (int i = 0; i < 20_000; i++) {
            ByteBuffer b = ByteBuffer.allocate(valid.capacity());
            b.put(0, valid, 0, valid.capacity());
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                int at = random.nextInt(OamTrace.HEADROOM);
                b.put(at, (byte) random.nextInt(256));
            }
            int len = random.nextInt(valid.capacity() + 1);
            boolean probe = OamTrace.isProbe(packet, b, 0, len);
            if (probe) { // the headers checked are whole; the inner packet is checked where it is used
                assertThat(len).isGreaterThanOrEqualTo(OamTrace.HEADROOM);
            }
        }
    }

    @Test
    void probePacketsDecodeWithValidChecksumsForEveryProtocol() {
        InnerPacket inner = new InnerPacket();
        for (String[] pair : new String[][] {{"10.1.0.2", "10.2.0.2"}, {"fd00:1::2", "fd00:2::2"}}) {
            InetAddress from = InetAddress.ofLiteral(pair[0]);
            InetAddress to = InetAddress.ofLiteral(pair[1]);
            boolean v6 = pair[0].contains(":");
            for (int protocol : new int[] {ProbePacket.TCP, ProbePacket.UDP, v6 ? ProbePacket.ICMPV6 : ProbePacket.ICMP, 47}) {
                byte[] p = ProbePacket.build(protocol, from, 40000, to, 80, 99);
                ByteBuffer b = ByteBuffer.wrap(p);
                assertThat(inner.wrap(b, 0, p.length)).as("protocol %d", protocol).isEqualTo(WireError.OK);
                assertThat(inner.protocol()).isEqualTo(protocol);
                if (protocol == ProbePacket.TCP || protocol == ProbePacket.UDP) {
                    assertThat(inner.sourcePort()).isEqualTo(40000);
                    assertThat(inner.destinationPort()).isEqualTo(80);
                    int stored = protocol == ProbePacket.TCP ? inner.tcp().checksum() : inner.udp().checksum();
                    assertThat(Checksums.transport(b, inner)).as("transport checksum %d", protocol).isEqualTo(stored).isNotZero();
                }
                if (inner.isIcmp()) {
                    assertThat(inner.icmpType()).isEqualTo(v6 ? 128 : 8);
                    assertThat(Checksums.icmp(b, inner)).isEqualTo(inner.icmp().checksum());
                }
                if (!v6) {
                    assertThat(Checksums.verifyIpv4Header(b, 0, 20)).isTrue();
                }
            }
        }
    }

    @Test
    void aReporterSendsOneReportPerAdmittedProbeAndCapsTheRate() throws Exception {
        try (DatagramSocket collector = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            collector.setSoTimeout(2000);
            DatagramTransport node = DatagramTransports.open(DatagramTransports.Kind.AUTO,
                    TransportOptions.defaults(new InetSocketAddress("127.0.0.1", 0)).withReusePort(false));
            try {
                TraceReporter reporter = new TraceReporter("sf", "sf-acl", () -> "127.0.0.1:4790");
                ByteBuffer b = probe(icmp(), (InetSocketAddress) collector.getLocalSocketAddress());
                long start = System.nanoTime();
                int admitted = 0;
                for (int i = 0; i < 200; i++) {
                    if (reporter.admit(b, 8)) {
                        admitted++;
                        reporter.report(node, List.of("acl"), 7, reporter.siIn(), 254, reporter.ttlIn(), 62,
                                TraceHop.FORWARDED, null, null, "default allow", null);
                    }
                }
                long seconds = (System.nanoTime() - start) / 1_000_000_000L;
                // The cap is per second: 200 probes in a burst get at most one window's worth per second passed.
                assertThat(admitted).isBetween(1, (int) (TraceReporter.MAX_PROBES_PER_SECOND * (seconds + 1)));
                assertThat(reporter.rateLimited()).isEqualTo(200 - admitted);
                assertThat(reporter.reported()).isEqualTo(admitted);

                DatagramPacket got = new DatagramPacket(new byte[TraceReport.MAX_BYTES], TraceReport.MAX_BYTES);
                collector.receive(got);
                TraceReport r = TraceReport.parse(got.getData(), got.getLength());
                assertThat(r).isNotNull();
                assertThat(r.trace()).isEqualTo("0123456789abcdef");
                TraceHop h = r.hop();
                assertThat(h.role()).isEqualTo("sf");
                assertThat(h.node()).isEqualTo("sf-acl");
                assertThat(h.functions()).containsExactly("acl");
                assertThat(h.siIn()).isEqualTo(255);
                assertThat(h.ttlIn()).isEqualTo(63);
                assertThat(h.siOut()).isEqualTo(254);
                assertThat(h.direction()).isEqualTo(TraceHop.FORWARD);
                assertThat(h.atMicros()).isPositive();
            } finally {
                node.close();
            }
        }
        assertThat(TraceReport.parse("not json".getBytes(), 8)).isNull();
        assertThat(TraceReport.parse("{\"trace\":\"x\"}".getBytes(), 13)).isNull();
        assertThat(TraceReport.parse(new byte[0], 0)).isNull();
    }

    @Test
    void tsharkDecodesTheProbeAsNshWithTheOBitAnMd2ContextHeaderAndTheInnerPacket() throws Exception {
        assumeTrue(Cmd.has("tshark"), "tshark is not installed");
        ByteBuffer p = probe(icmp(), new InetSocketAddress("10.99.0.100", 40000));
        ByteBuffer ip = ByteBuffer.allocate(28 + p.capacity());
        ip.put(0, (byte) 0x45).putShort(2, (short) ip.capacity()).put(8, (byte) 64).put(9, (byte) 17)
                .putInt(12, 0x0A000001).putInt(16, 0x0A000002)
                .putShort(20, (short) 40000).putShort(22, (short) 4790).putShort(24, (short) (8 + p.capacity()));
        ip.put(28, p, 0, p.capacity());
        ip.putShort(10, (short) Checksums.ipv4Header(ip, 0, 20));
        Path pcap = dir.resolve("probe.pcap");
        try (OutputStream out = Files.newOutputStream(pcap); PcapWriter w = new PcapWriter(out, PcapWriter.LINKTYPE_RAW)) {
            w.write(ip, 0, ip.capacity());
        }
        String fields = Cmd.run(30, List.of("tshark", "-n", "-r", pcap.toString(), "-T", "fields", "-E", "separator=|",
                "-e", "nsh.Obit", "-e", "nsh.mdtype", "-e", "nsh.spi", "-e", "nsh.si", "-e", "nsh.metadataclass",
                "-e", "ip.dst", "-e", "icmp.type")).requireOk(List.of("tshark")).output().strip();
        String last = fields.substring(fields.lastIndexOf('\n') + 1);
        // O bit, MD type 2, SPI 0, SI 255, the experimental class 0xFFF6; the outer and the inner destination; an echo request
        assertThat(last).isEqualTo("1|2|0|255|65526|10.0.0.2,10.2.0.2|8");
    }
}
