package io.astaire.wire.offload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.wire.Checksums;
import io.astaire.wire.pcap.PcapWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An independent decoder's word on the segments GsoSplitter cuts and the super-packets
 * TcpCoalescer glues: stock tshark, with checksum checking on, must call every IPv4 header, TCP
 * and UDP checksum good and find the sequence numbers and lengths the rules say.
 */
class SplitTsharkTest {

    private static final Path TSHARK = Path.of("/usr/bin/tshark");
    private static final List<String> FIELDS = List.of("ip.version", "ipv6.version", "ip.checksum.status",
        "tcp.checksum.status", "udp.checksum.status", "tcp.seq_raw", "tcp.len", "udp.length", "tcp.flags",
        "_ws.malformed", "_ws.expert");

    @TempDir
    Path dir;

    private record Expected(String seq, int tcpLength, int udpLength, boolean v4) {}

    @Test
    void tsharkCallsEveryChecksumOfTheSegmentsGood() throws Exception {
        assumeTrue(Files.isExecutable(TSHARK), "tshark is needed for this interop test");
        SplittableRandom random = new SplittableRandom(21);
        List<Expected> expected = new ArrayList<>();
        Path pcap = dir.resolve("segments.pcap");
        GsoSplitter splitter = new GsoSplitter();
        ByteBuffer in = ByteBuffer.allocate(70_000);
        ByteBuffer out = ByteBuffer.allocate(70_000);
        try (FileChannel channel = FileChannel.open(pcap, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             PcapWriter writer = new PcapWriter(channel, PcapWriter.LINKTYPE_RAW)) {
            for (TestPacket packet : superPackets(random)) {
                boolean tcp = packet.protocol == TestPacket.TCP;
                int gsoType = !tcp ? VirtioNetHeader.GSO_UDP_L4
                    : packet.version == 4 ? VirtioNetHeader.GSO_TCPV4 | VirtioNetHeader.GSO_ECN : VirtioNetHeader.GSO_TCPV6;
                int length = packet.write(in, VirtioNetHeader.LENGTH);
                new VirtioNetHeader().wrap(in, 0).flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(gsoType).gsoSize(1400)
                    .hdrLen(packet.headersLength()).csumStart(packet.ipHeaderLength()).csumOffset(tcp ? 16 : 6);
                int n = splitter.prepare(in, 0, length);
                assertThat(n).as(splitter.error().label()).isPositive();
                for (int k = 0; k < n; k++) {
                    int written = splitter.writeSegment(k, out, 0);
                    writer.write(out, 0, written);
                    int payload = written - packet.headersLength();
                    expected.add(new Expected(tcp ? Integer.toUnsignedString(packet.sequence + 1400 * k) : "",
                        tcp ? payload : -1, tcp ? -1 : payload + 8, packet.version == 4));
                }
            }
            writeCoalescedSuperPacket(random, writer, expected);
        }
        List<List<String>> rows = tsharkFields(pcap);
        assertThat(rows).hasSize(expected.size());
        for (int i = 0; i < rows.size(); i++) {
            List<String> row = rows.get(i);
            Expected e = expected.get(i);
            String what = "frame " + (i + 1) + " " + row;
            assertThat(row.get(field("_ws.malformed"))).as(what).isEmpty();
            if (e.v4()) {
                assertThat(row.get(field("ip.checksum.status"))).as(what).isEqualTo("1");
            }
            if (e.tcpLength() >= 0) {
                assertThat(row.get(field("tcp.checksum.status"))).as(what).isEqualTo("1");
                assertThat(row.get(field("tcp.seq_raw"))).as(what).isEqualTo(e.seq());
                assertThat(row.get(field("tcp.len"))).as(what).isEqualTo(String.valueOf(e.tcpLength()));
            } else {
                assertThat(row.get(field("udp.checksum.status"))).as(what).isEqualTo("1");
                assertThat(row.get(field("udp.length"))).as(what).isEqualTo(String.valueOf(e.udpLength()));
            }
        }
    }

    private static List<TestPacket> superPackets(SplittableRandom random) {
        List<TestPacket> packets = new ArrayList<>();
        TestPacket v4 = new TestPacket();
        v4.tcpOptions = new byte[] {1, 1, 8, 10, 0, 1, 2, 3, 4, 5, 6, 7};
        v4.flags = TestPacket.ACK | TestPacket.PSH | 0x80;
        v4.payload(TestPacket.randomBytes(random, 5000), 0, 5000);
        packets.add(v4);
        TestPacket v6 = v4.copy();
        v6.version = 6;
        v6.extensions = new int[] {0, 60};
        v6.flags = TestPacket.ACK | 0x01;
        packets.add(v6);
        for (int version : new int[] {4, 6}) {
            TestPacket udp = new TestPacket().payload(TestPacket.randomBytes(random, 4300), 0, 4300);
            udp.protocol = TestPacket.UDP;
            udp.version = version;
            packets.add(udp);
        }
        for (TestPacket packet : packets) {
            packet.partialChecksum = true;
        }
        return packets;
    }

    /** A glued super-packet with its checksum completed as the kernel would before putting it on a wire. */
    private static void writeCoalescedSuperPacket(SplittableRandom random, PcapWriter writer, List<Expected> expected)
        throws IOException {
        ByteBuffer batch = ByteBuffer.allocate(20 * 2000);
        TcpCoalescer coalescer = new TcpCoalescer(1);
        TestPacket segment = new TestPacket();
        segment.version = 6;
        for (int i = 0; i < 20; i++) {
            segment.sequence = 1000 + 1400 * i;
            segment.payload(TestPacket.randomBytes(random, 1400), 0, 1400);
            int length = segment.write(batch, i * 2000);
            coalescer.add(batch, i * 2000, length, i);
        }
        assertThat(coalescer.itemCount()).isEqualTo(1);
        ByteBuffer group = coalescer.groupBuffer(0);
        VirtioNetHeader vnet = new VirtioNetHeader().wrap(group, 0);
        int ip = VirtioNetHeader.LENGTH;
        int length = coalescer.groupLength(0) - ip;
        int checksum = Checksums.finish(Checksums.partialSum(group, ip + vnet.csumStart(), length - vnet.csumStart(), 0));
        group.putShort(ip + vnet.csumStart() + vnet.csumOffset(), (short) checksum);
        writer.write(group, ip, length);
        expected.add(new Expected("1000", 20 * 1400, -1, false));
    }

    private static int field(String name) {
        return FIELDS.indexOf(name);
    }

    private List<List<String>> tsharkFields(Path pcap) throws Exception {
        List<String> command = new ArrayList<>(List.of(TSHARK.toString(), "-n", "-r", pcap.toString(),
            "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
            "-o", "tcp.analyze_sequence_numbers:FALSE", "-T", "fields", "-E", "separator=|"));
        for (String name : FIELDS) {
            command.add("-e");
            command.add(name);
        }
        Path output = dir.resolve("tshark.out");
        Process process = new ProcessBuilder(command).redirectOutput(output.toFile())
            .redirectError(dir.resolve("tshark.err").toFile()).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("tshark finished").isTrue();
        assertThat(process.exitValue()).as(Files.readString(dir.resolve("tshark.err"))).isZero();
        List<List<String>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(output)) {
            if (!line.isBlank()) {
                rows.add(List.of(line.split("\\|", -1)));
            }
        }
        return rows;
    }
}
