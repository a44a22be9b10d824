package io.astaire.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.VxlanGpeHeader;
import io.astaire.wire.WireError;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The NSH contract of {@link PacketContext#nsh()}: SPI, SI, TTL and MD1 context word 3 are the
 * node's, words 0-2 and MD2 TLV values the functions'. Checked through the API and against a
 * function that writes the node's fields through the raw buffer.
 */
class PacketContextNshContractTest {

    private static final int SPI = 0x00ABCD;
    private static final int GENERATION = 0x5EED0003;

    private final ByteBuffer buf = ByteBuffer.allocate(512);
    private final PacketContext ctx = new PacketContext();
    private final NshHeader wire = new NshHeader();

    /** A VXLAN-GPE + NSH MD1 datagram (SI 255, TTL 63, word 3 = a generation) around a minimal IPv4/UDP packet. */
    private void md1Packet() {
        int inner = GpeNshPacket.HEADROOM_MD1;
        buf.put(inner, (byte) 0x45).putShort(inner + 2, (short) 28).put(inner + 8, (byte) 64).put(inner + 9, (byte) 17)
                .putInt(inner + 12, 0x0A000001).putInt(inner + 16, 0x0A000002).putShort(inner + 24, (short) 8);
        assertThat(GpeNshPacket.encapsulateMd1(buf, inner, 28, SPI, 255, 63, NshHeader.NEXT_PROTOCOL_IPV4)).isZero();
        wire.wrap(buf, VxlanGpeHeader.LENGTH).md1Context(3, GENERATION);
        ctx.reset(buf, VxlanGpeHeader.LENGTH, inner, 28, 28);
        assertThat(ctx.innerError()).isEqualTo(WireError.OK);
    }

    @Test
    void aFunctionReadsEverythingAndWritesOnlyContextWordsZeroToTwo() {
        md1Packet();
        NshMetadata nsh = ctx.nsh();
        assertThat(nsh.spi()).isEqualTo(SPI);
        assertThat(nsh.si()).isEqualTo(255);
        assertThat(nsh.ttl()).isEqualTo(63);
        assertThat(nsh.md1Context(3)).isEqualTo(GENERATION);
        for (int word = 0; word <= 2; word++) {
            nsh.md1Context(word, 100 + word);
            assertThat(nsh.md1Context(word)).isEqualTo(100 + word);
        }
        assertThatThrownBy(() -> nsh.md1Context(3, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reserved for Astaire");
        assertThatThrownBy(() -> nsh.md1Context(4, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(wire.md1Context(3)).isEqualTo(GENERATION);
    }

    @Test
    void theViewHasNoSetterForTheNodesFields() {
        for (Method m : NshMetadata.class.getMethods()) {
            if (m.getDeclaringClass() == NshMetadata.class && m.getParameterCount() > 0) {
                assertThat(m.getName()).as("%s(%s)", m.getName(), Arrays.toString(m.getParameterTypes()))
                        .isIn("md1Context", "nextTlv", "findTlv", "tlvClass", "tlvType", "tlvLength", "tlvValueOffset");
            }
        }
    }

    @Test
    void whatAFunctionWritesIntoTheNodesFieldsIsUndoneAndSiStepsFromTheReceivedValue() {
        Random random = new Random(10);
        for (int round = 0; round < 200; round++) {
            md1Packet();
            int functions = 1 + random.nextInt(3);
            for (int f = 0; f < functions; f++) {
                // A function that scribbles over the base header, SPI/SI and every context word.
                buf.putInt(VxlanGpeHeader.LENGTH, random.nextInt());
                buf.putInt(VxlanGpeHeader.LENGTH + 4, random.nextInt());
                for (int word = 0; word < 4; word++) {
                    buf.putInt(VxlanGpeHeader.LENGTH + 8 + 4 * word, 1000 * f + word);
                }
                ctx.functionForwarded();
                assertThat(ctx.si()).isEqualTo(255 - f - 1);
            }
            assertThat(wire.version()).isZero();
            assertThat(wire.oBit()).isFalse();
            assertThat(wire.length()).isEqualTo(6);
            assertThat(wire.mdType()).isEqualTo(NshHeader.MD_TYPE_1);
            assertThat(wire.nextProtocol()).isEqualTo(NshHeader.NEXT_PROTOCOL_IPV4);
            assertThat(wire.spi()).isEqualTo(SPI);
            assertThat(wire.si()).isEqualTo(255 - functions);
            assertThat(wire.ttl()).isEqualTo(63);
            assertThat(wire.md1Context(3)).isEqualTo(GENERATION);
            int last = 1000 * (functions - 1);
            assertThat(new int[] {wire.md1Context(0), wire.md1Context(1), wire.md1Context(2)})
                    .as("the functions' words keep what the last function wrote").containsExactly(last, last + 1, last + 2);
        }
    }

    @Test
    void md2TlvValuesAreTheFunctionsAndMd1WordsAreNotThere() {
        int inner = 64;
        buf.put(inner, (byte) 0x45).putShort(inner + 2, (short) 28).put(inner + 8, (byte) 64).put(inner + 9, (byte) 17)
                .putShort(inner + 24, (short) 8);
        NshHeader h = wire.wrap(buf, VxlanGpeHeader.LENGTH).writeMd2(SPI, 255, 63, NshHeader.NEXT_PROTOCOL_IPV4);
        h.appendTlvInt(0x0105, 7, 4242);
        ctx.reset(buf, VxlanGpeHeader.LENGTH, inner, 28, 28);
        NshMetadata nsh = ctx.nsh();
        int tlv = nsh.findTlv(0x0105, 7);
        assertThat(tlv).isPositive();
        buf.putInt(nsh.tlvValueOffset(tlv), 99);
        ctx.functionForwarded();
        assertThat(buf.getInt(wire.tlvValueOffset(wire.findTlv(0x0105, 7)))).isEqualTo(99);
        assertThat(wire.si()).isEqualTo(254);
        assertThatThrownBy(() -> nsh.md1Context(0)).isInstanceOf(IllegalStateException.class);
    }
}
