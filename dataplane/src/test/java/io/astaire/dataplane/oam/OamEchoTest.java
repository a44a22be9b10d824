package io.astaire.dataplane.oam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.testing.Cmd;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.wire.Checksums;
import io.astaire.wire.pcap.PcapWriter;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The NSH OAM echo's layout (docs/wire.md, "OAM echo"), its checks, and a responder on real sockets. */
class OamEchoTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final long NONCE = 0x0123456789ABCDEFL;

    @TempDir
    Path dir;

    private static ByteBuffer request(InetSocketAddress replyTo) {
        ByteBuffer b = ByteBuffer.allocate(OamEcho.LENGTH);
        OamEcho.writeRequest(b, 0, replyTo, NONCE);
        return b;
    }

    @Test
    void theRequestIsTheDocumentedSixtyFourBytes() throws Exception {
        ByteBuffer b = request(new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 40000));
        assertThat(HEX.formatHex(b.array())).isEqualTo(
                "0c00000400000000" // VXLAN-GPE: I+P, next protocol NSH, VNI 0
                + "204601fe" + "000000ff" // NSH: O bit, TTL 1, 6 words, MD1, next protocol 0xFE; SPI 0, SI 255
                + "00".repeat(16) // MD1 context
                + "41534531" + "01" + "04" + "9c40" // magic, request, IPv4, port 40000
                + "0123456789abcdef" // nonce
                + "0a010203" + "00".repeat(12)); // reply-to address
        assertThat(OamEcho.isOam(b, 0, OamEcho.LENGTH)).isTrue();
        assertThat(OamEcho.type(b, 0, OamEcho.LENGTH)).isEqualTo(OamEcho.REQUEST);
        assertThat(OamEcho.nonce(b, 0)).isEqualTo(NONCE);
        assertThat(OamEcho.replyTo(b, 0)).isEqualTo(new InetSocketAddress("10.1.2.3", 40000));
        OamEcho.toReply(b, 0);
        assertThat(OamEcho.type(b, 0, OamEcho.LENGTH)).isEqualTo(OamEcho.REPLY);

        ByteBuffer v6 = request(new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 9));
        assertThat(OamEcho.replyTo(v6, 0)).isEqualTo(new InetSocketAddress("2001:db8::7", 9));
    }

    @Test
    void everyBrokenFieldIsRefused() throws Exception {
        InetSocketAddress to = new InetSocketAddress("10.1.2.3", 40000);
        // offset, value: each breaks one checked field
        int[][] breaks = {{0, 0x08}, {3, 0x01}, {8, 0x60}, {8, 0x00}, {9, 0x45}, {10, 0x02}, {11, 0x01},
                {32, 0x42}, {36, 3}, {36, 0}, {37, 5}, {38, 0}};
        for (int[] broken : breaks) {
            ByteBuffer b = request(to);
            if (broken[0] == 38) {
                b.putShort(38, (short) 0); // port 0
            } else {
                b.put(broken[0], (byte) broken[1]);
            }
            assertThat(OamEcho.type(b, 0, OamEcho.LENGTH)).as("byte %d = %#x", broken[0], broken[1]).isEqualTo(-1);
        }
        ByteBuffer b = request(to);
        assertThat(OamEcho.type(b, 0, OamEcho.LENGTH - 1)).isEqualTo(-1);
        assertThat(OamEcho.type(b, 1, OamEcho.LENGTH)).isEqualTo(-1);
        ByteBuffer any = request(new InetSocketAddress("0.0.0.0", 40000));
        assertThat(OamEcho.replyTo(any, 0)).as("no reply to the wildcard address").isNull();
        // Random bytes with the O bit set never pass as an echo and never throw.
        Random random = new Random(4790);
        ByteBuffer noise = ByteBuffer.allocate(OamEcho.LENGTH);
        for (int i = 0; i < 10_000; i++) {
            random.nextBytes(noise.array());
            assertThat(OamEcho.type(noise, 0, random.nextInt(OamEcho.LENGTH + 8))).isEqualTo(-1);
        }
    }

    @Test
    void aResponderAnswersARequestToTheReplyToAddressAndRefusesTheRest() throws Exception {
        try (DatagramSocket prober = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            prober.setSoTimeout(2000);
            DatagramTransport replica = DatagramTransports.open(DatagramTransports.Kind.AUTO,
                    TransportOptions.defaults(new InetSocketAddress("127.0.0.1", 0)).withReusePort(false));
            try {
                EchoResponder responder = new EchoResponder();
                ByteBuffer req = request((InetSocketAddress) prober.getLocalSocketAddress());
                assertThat(responder.answer(replica, req, 0, OamEcho.LENGTH)).isTrue();
                DatagramPacket got = new DatagramPacket(new byte[256], 256);
                prober.receive(got);
                ByteBuffer reply = ByteBuffer.wrap(got.getData(), 0, got.getLength());
                assertThat(got.getLength()).isEqualTo(OamEcho.LENGTH);
                assertThat(OamEcho.type(reply, 0, got.getLength())).isEqualTo(OamEcho.REPLY);
                assertThat(OamEcho.nonce(reply, 0)).isEqualTo(NONCE);

                OamEcho.toReply(req, 0); // a reply is not answered (no ping-pong between two responders)
                assertThat(responder.answer(replica, req, 0, OamEcho.LENGTH)).isFalse();
                assertThat(responder.answered()).isEqualTo(1);
                assertThat(responder.refused()).isEqualTo(1);
            } finally {
                replica.close();
            }
        }
    }

    @Test
    void tsharkSeesNshWithTheOBitAndNoIpPacket() throws Exception {
        assumeTrue(Cmd.has("tshark"), "tshark is not installed");
        ByteBuffer echo = request(new InetSocketAddress("10.0.0.1", 40000));
        // IPv4 + UDP to 4790 around it, for a raw-IP pcap
        ByteBuffer ip = ByteBuffer.allocate(28 + OamEcho.LENGTH);
        ip.put(0, (byte) 0x45).putShort(2, (short) ip.capacity()).put(8, (byte) 64).put(9, (byte) 17)
                .putInt(12, 0x0A000001).putInt(16, 0x0A000002)
                .putShort(20, (short) 40000).putShort(22, (short) 4790).putShort(24, (short) (8 + OamEcho.LENGTH));
        ip.put(28, echo, 0, OamEcho.LENGTH);
        ip.putShort(10, (short) Checksums.ipv4Header(ip, 0, 20));
        Path pcap = dir.resolve("echo.pcap");
        try (OutputStream out = Files.newOutputStream(pcap); PcapWriter w = new PcapWriter(out, PcapWriter.LINKTYPE_RAW)) {
            w.write(ip, 0, ip.capacity());
        }
        String fields = Cmd.run(30, List.of("tshark", "-n", "-r", pcap.toString(), "-T", "fields", "-E", "separator=|",
                "-e", "nsh.Obit", "-e", "nsh.ttl", "-e", "nsh.mdtype", "-e", "nsh.nextproto", "-e", "nsh.spi", "-e", "nsh.si",
                "-e", "ip.version")).requireOk(List.of("tshark")).output().strip();
        String last = fields.substring(fields.lastIndexOf('\n') + 1); // after tshark's warnings, if any
        // O bit, TTL 1, MD type 1, next protocol 254, SPI 0, SI 255; one IP version: only the outer
        // header, nothing after the NSH is taken for an IP packet
        assertThat(last).isEqualTo("1|0x0001|1|254|0|255|4");
    }
}
