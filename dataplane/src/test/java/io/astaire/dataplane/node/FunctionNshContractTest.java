package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.function.PacketContext;
import io.astaire.function.ServiceFunction;
import io.astaire.function.Verdict;
import io.astaire.model.HopAddress;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.WireError;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A node between a client socket and a sink socket runs two functions that write into every NSH
 * field through the raw buffer: the next hop still gets the SPI and MD1 context word 3 as sent, SI
 * down by two and TTL down by one, and the words 0-2 the functions wrote.
 */
class FunctionNshContractTest {

    private static final int SPI = 10;
    private static final int GENERATION = 0x00C0FFEE;

    /** Writes garbage into the base header, SPI/SI and word 3 (what the API forbids) and its index into word 0-1. */
    static final class Scribbler implements ServiceFunction {
        private final int index;

        Scribbler(int index) {
            this.index = index;
        }

        @Override
        public Verdict process(PacketContext packet) {
            ByteBuffer b = packet.buffer();
            int nsh = packet.nshOffset();
            b.putInt(nsh, 0xFFFFFFFF);           // version, O bit, TTL, length, MD type, next protocol
            b.putInt(nsh + 4, 0x00BEEF00 | index); // SPI 0xBEEF, SI = index
            b.putInt(nsh + 8 + 12, 0xDEAD);      // MD1 word 3
            packet.nsh().md1Context(index, 0x1000 + index);
            return Verdict.FORWARD;
        }
    }

    @Test
    void theNextHopSeesTheNodesFieldsAsReceivedAndTheFunctionsWords() throws Exception {
        try (DatagramSocket sink = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             SfNode node = SfNode.builder()
                     .fixed(List.of("one", "two"), HopAddress.parse("127.0.0.1:" + sink.getLocalPort()))
                     .listen(new InetSocketAddress("127.0.0.1", 0)).workers(1)
                     .functionFactory((spec, meters) -> new Scribbler(spec.kind().equals("one") ? 0 : 1))
                     .start();
             DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            sink.setSoTimeout(5000);
            byte[] datagram = TestPackets.nsh(SPI, 255, 40, TestPackets.udp4(ip("10.0.0.1"), ip("10.0.0.2"), 1000, 80, 16, 7));
            ByteBuffer.wrap(datagram).putInt(8 + 8 + 12, GENERATION);
            client.send(new DatagramPacket(datagram, datagram.length, node.localAddress()));

            DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
            sink.receive(got);
            GpeNshPacket packet = new GpeNshPacket();
            assertThat(packet.wrap(ByteBuffer.wrap(got.getData()), 0, got.getLength())).isEqualTo(WireError.OK);
            NshHeader nsh = packet.nsh();
            assertThat(nsh.spi()).isEqualTo(SPI);
            assertThat(nsh.si()).isEqualTo(253);
            assertThat(nsh.ttl()).isEqualTo(39);
            assertThat(nsh.oBit()).isFalse();
            assertThat(nsh.mdType()).isEqualTo(NshHeader.MD_TYPE_1);
            assertThat(nsh.nextProtocol()).isEqualTo(NshHeader.NEXT_PROTOCOL_IPV4);
            assertThat(nsh.md1Context(3)).isEqualTo(GENERATION);
            assertThat(nsh.md1Context(0)).isEqualTo(0x1000);
            assertThat(nsh.md1Context(1)).isEqualTo(0x1001);
            assertThat(node.scrape()).doesNotContain("internal_error\"} 1");
        }
    }
}
