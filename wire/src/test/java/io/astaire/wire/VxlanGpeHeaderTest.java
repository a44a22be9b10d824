package io.astaire.wire;

import static io.astaire.wire.Packets.fromHex;
import static io.astaire.wire.Packets.hex;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VxlanGpeHeaderTest {

    private final VxlanGpeHeader gpe = new VxlanGpeHeader();

    @Test
    void writesTheDraftLayout() {
        ByteBuffer buf = ByteBuffer.allocate(10);
        buf.put(9, (byte) 0x55);
        gpe.wrap(buf, 1).write(0xABCDEF, VxlanGpeHeader.NEXT_PROTOCOL_NSH);
        assertThat(hex(buf, 1, 8)).isEqualTo("0c000004abcdef00");
        assertThat(buf.get(9)).isEqualTo((byte) 0x55);
        assertThat(gpe.validate(8)).isEqualTo(WireError.OK);
        assertThat(gpe.iBit()).isTrue();
        assertThat(gpe.pBit()).isTrue();
        assertThat(gpe.bBit()).isFalse();
        assertThat(gpe.oBit()).isFalse();
        assertThat(gpe.version()).isZero();
        assertThat(gpe.flags()).isEqualTo(0x0C);
        assertThat(gpe.nextProtocol()).isEqualTo(4);
        assertThat(gpe.vni()).isEqualTo(0xABCDEF);
    }

    @Test
    void readsFlagsBitByBit() {
        ByteBuffer buf = fromHex("0f000004 00000100");
        gpe.wrap(buf, 0);
        assertThat(gpe.iBit()).isTrue();
        assertThat(gpe.pBit()).isTrue();
        assertThat(gpe.bBit()).isTrue();
        assertThat(gpe.oBit()).isTrue();
        gpe.oBit(false);
        assertThat(gpe.flags()).isEqualTo(0x0E);
        gpe.oBit(true).flags(0x04);
        assertThat(gpe.iBit()).isFalse();
        assertThat(gpe.validate(8)).isEqualTo(WireError.OK);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 0xFFFF, 0x800000, 0xFFFFFF})
    void vniAtItsEdgesKeepsTheReservedByte(int vni) {
        ByteBuffer buf = fromHex("0c000004 000000aa");
        gpe.wrap(buf, 0).vni(vni);
        assertThat(gpe.vni()).isEqualTo(vni);
        assertThat(buf.get(7)).isEqualTo((byte) 0xAA);
        assertThat(gpe.nextProtocol(2).nextProtocol()).isEqualTo(2);
        assertThat(gpe.vni()).isEqualTo(vni);
    }

    @Test
    void rejectsTruncation() {
        ByteBuffer buf = fromHex("0c000004 000001");
        assertThat(gpe.wrap(buf, 0).validate(7)).isEqualTo(WireError.TRUNCATED);
        assertThat(gpe.wrap(buf, 0).validate(8)).isEqualTo(WireError.TRUNCATED); // only 7 in the buffer
    }

    @ParameterizedTest
    @ValueSource(ints = {0x1C, 0x2C, 0x3C})
    void rejectsNonZeroVersion(int flags) {
        ByteBuffer buf = fromHex("0c000004 00000100");
        gpe.wrap(buf, 0).flags(flags);
        assertThat(gpe.validate(8)).isEqualTo(WireError.BAD_GPE_VERSION);
    }

    @Test
    void rejectsMissingNextProtocolBit() {
        ByteBuffer buf = fromHex("08000004 00000100"); // plain VXLAN: I only
        assertThat(gpe.wrap(buf, 0).validate(8)).isEqualTo(WireError.BAD_GPE_FLAGS);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 6, 0x80, 0xFF})
    void rejectsUnknownNextProtocol(int next) {
        ByteBuffer buf = fromHex("0c000004 00000100");
        gpe.wrap(buf, 0).nextProtocol(next);
        assertThat(gpe.validate(8)).isEqualTo(WireError.UNKNOWN_GPE_NEXT_PROTOCOL);
    }
}
