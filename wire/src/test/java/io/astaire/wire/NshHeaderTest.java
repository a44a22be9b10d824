package io.astaire.wire;

import static io.astaire.wire.Packets.fromHex;
import static io.astaire.wire.Packets.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NshHeaderTest {

    private final NshHeader nsh = new NshHeader();

    @Test
    void writesMd1ExactlyAsRfc8300LaysItOut() {
        ByteBuffer buf = ByteBuffer.allocate(40);
        nsh.wrap(buf, 4).writeMd1(0x123456, 0xFE, 63, NshHeader.NEXT_PROTOCOL_IPV4);
        // ver 0, O 0, U 0, TTL 63 = 0b111111 -> 0x0F / 0xC0; length 6; MD 1; next 1
        assertThat(hex(buf, 4, 24)).isEqualTo("0fc60101" + "123456fe" + "00".repeat(16));
        assertThat(nsh.validate(36)).isEqualTo(WireError.OK);
        assertThat(nsh.version()).isZero();
        assertThat(nsh.oBit()).isFalse();
        assertThat(nsh.ttl()).isEqualTo(63);
        assertThat(nsh.length()).isEqualTo(6);
        assertThat(nsh.lengthBytes()).isEqualTo(NshHeader.MD1_LENGTH);
        assertThat(nsh.mdType()).isEqualTo(1);
        assertThat(nsh.nextProtocol()).isEqualTo(1);
        assertThat(nsh.spi()).isEqualTo(0x123456);
        assertThat(nsh.si()).isEqualTo(0xFE);
        assertThat(nsh.firstTlv()).isEqualTo(-1);
    }

    @Test
    void pathGenerationIsContextWord3OfMd1AndZeroForMd2() {
        ByteBuffer buf = ByteBuffer.allocate(40);
        nsh.wrap(buf, 4).writeMd1(0x000010, 0xFF, 63, NshHeader.NEXT_PROTOCOL_IPV4);
        assertThat(nsh.pathGeneration()).isZero();
        nsh.pathGeneration(0xCAFEF00D);
        assertThat(hex(buf, 4, 24)).isEqualTo("0fc60101" + "000010ff" + "00".repeat(12) + "cafef00d");
        assertThat(nsh.md1Context(3)).isEqualTo(0xCAFEF00D);
        assertThat(nsh.pathGeneration()).isEqualTo(0xCAFEF00D);

        ByteBuffer md2 = ByteBuffer.allocate(40);
        nsh.wrap(md2, 0).writeMd2(0x000010, 0xFF, 63, NshHeader.NEXT_PROTOCOL_IPV4);
        nsh.appendTlvInt(0x0101, 1, 7);
        String before = hex(md2, 0, 16);
        nsh.pathGeneration(0x12345678); // no fixed context to stamp: must not touch the TLV
        assertThat(hex(md2, 0, 16)).isEqualTo(before);
        assertThat(nsh.pathGeneration()).isZero();
    }

    @Test
    void readsAHandMadeHeader() {
        // ver 0, O 1, TTL 0b000001 (split: 0000 / 01), length 6, MD 1, next IPv6, SPI 1, SI 7
        ByteBuffer buf = fromHex("20460102 00000107 00000001 00000002 00000003 ffffffff");
        nsh.wrap(buf, 0);
        assertThat(nsh.validate(buf.capacity())).isEqualTo(WireError.OK);
        assertThat(nsh.oBit()).isTrue();
        assertThat(nsh.ttl()).isEqualTo(1);
        assertThat(nsh.nextProtocol()).isEqualTo(NshHeader.NEXT_PROTOCOL_IPV6);
        assertThat(nsh.spi()).isEqualTo(1);
        assertThat(nsh.si()).isEqualTo(7);
        assertThat(nsh.md1Context(0)).isEqualTo(1);
        assertThat(nsh.md1Context(3)).isEqualTo(-1);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 0x7FFFFF, 0x800000, 0xFFFFFE, 0xFFFFFF})
    void spiAtItsEdgesLeavesSiAlone(int spi) {
        ByteBuffer buf = ByteBuffer.allocate(24);
        nsh.wrap(buf, 0).writeMd1(0, 0xA5, 7, 1);
        nsh.spi(spi);
        assertThat(nsh.spi()).isEqualTo(spi);
        assertThat(nsh.si()).isEqualTo(0xA5);
        assertThat(nsh.ttl()).isEqualTo(7);
        assertThat(buf.getInt(4)).isEqualTo((spi << 8) | 0xA5);
    }

    @Test
    void spiIgnoresBitsAbove24() {
        ByteBuffer buf = ByteBuffer.allocate(24);
        nsh.wrap(buf, 0).writeMd1(0, 9, 1, 1).spi(0x1FFFFFF);
        assertThat(nsh.spi()).isEqualTo(0xFFFFFF);
        assertThat(nsh.si()).isEqualTo(9);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 127, 128, 254, 255})
    void siAtItsEdgesLeavesSpiAlone(int si) {
        ByteBuffer buf = ByteBuffer.allocate(24);
        nsh.wrap(buf, 0).writeMd1(0xFFFFFF, 0, 1, 1).si(si);
        assertThat(nsh.si()).isEqualTo(si);
        assertThat(nsh.spi()).isEqualTo(0xFFFFFF);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 31, 32, 62, 63})
    void ttlAtItsEdgesLeavesNeighboursAlone(int ttl) {
        ByteBuffer buf = ByteBuffer.allocate(24);
        // Start from all neighbour bits set: version 3, O 1, U 1, length 63.
        buf.put(0, (byte) 0xF0).put(1, (byte) 0x3F);
        nsh.wrap(buf, 0).ttl(ttl);
        assertThat(nsh.ttl()).isEqualTo(ttl);
        assertThat(nsh.version()).isEqualTo(3);
        assertThat(nsh.oBit()).isTrue();
        assertThat(nsh.length()).isEqualTo(63);
        // And the other way: all TTL bits set, neighbours clear.
        buf.put(0, (byte) 0x0F).put(1, (byte) 0xC0);
        nsh.length(6);
        assertThat(nsh.ttl()).isEqualTo(63);
        nsh.ttl(ttl);
        assertThat(buf.get(0) & 0xF0).isZero();
        assertThat(buf.get(1) & 0x3F).isEqualTo(6);
        assertThat(nsh.ttl()).isEqualTo(ttl);
    }

    @Test
    void writeMd1AtTtlZeroAndMax() {
        ByteBuffer buf = ByteBuffer.allocate(24);
        nsh.wrap(buf, 0).writeMd1(5, 5, 0, 2);
        assertThat(nsh.ttl()).isZero();
        assertThat(hex(buf, 0, 4)).isEqualTo("00060102");
        assertThat(nsh.validate(24)).isEqualTo(WireError.OK); // TTL 0 decodes; forwarders drop it
        nsh.writeMd1(5, 5, 63, 2);
        assertThat(hex(buf, 0, 4)).isEqualTo("0fc60102");
    }

    @Test
    void oBitAndMd1ContextWordsAreIndependent() {
        ByteBuffer buf = ByteBuffer.allocate(24);
        nsh.wrap(buf, 0).writeMd1(1, 2, 3, 1);
        nsh.oBit(true);
        assertThat(nsh.oBit()).isTrue();
        assertThat(nsh.ttl()).isEqualTo(3);
        nsh.oBit(false);
        assertThat(buf.get(0)).isZero();
        for (int word = 0; word < 4; word++) {
            nsh.md1Context(word, 0x11111111 * (word + 1));
        }
        assertThat(hex(buf, 8, 16)).isEqualTo("11111111222222223333333344444444");
        assertThat(nsh.md1Context(2)).isEqualTo(0x33333333);
        assertThatThrownBy(() -> nsh.md1Context(4)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void md2WithNoTlvs() {
        ByteBuffer buf = ByteBuffer.allocate(8);
        nsh.wrap(buf, 0).writeMd2(0xABCDEF, 255, 63, 1);
        assertThat(hex(buf, 0, 8)).isEqualTo("0fc20201abcdefff");
        assertThat(nsh.validate(8)).isEqualTo(WireError.OK);
        assertThat(nsh.firstTlv()).isEqualTo(-1);
        assertThat(nsh.lengthBytes()).isEqualTo(8);
    }

    @Test
    void md2WithOneTlvPaddedToFourBytes() {
        ByteBuffer buf = ByteBuffer.allocate(64);
        buf.put(16, (byte) 0x77); // garbage where the padding goes: must be zeroed
        nsh.wrap(buf, 0).writeMd2(1, 255, 63, 1);
        int tlv = nsh.appendTlv(0x0101, 0x05, fromHex("aabbccddee"), 0, 5);
        assertThat(tlv).isEqualTo(8);
        assertThat(nsh.length()).isEqualTo(2 + 3);
        assertThat(hex(buf, 8, 12)).isEqualTo("01010505" + "aabbccddee000000");
        assertThat(nsh.validate(20)).isEqualTo(WireError.OK);
        assertThat(nsh.firstTlv()).isEqualTo(8);
        assertThat(nsh.tlvClass(8)).isEqualTo(0x0101);
        assertThat(nsh.tlvType(8)).isEqualTo(5);
        assertThat(nsh.tlvLength(8)).isEqualTo(5);
        assertThat(nsh.tlvUnassignedBit(8)).isFalse();
        assertThat(nsh.tlvValueOffset(8)).isEqualTo(12);
        assertThat(nsh.nextTlv(8)).isEqualTo(-1);
    }

    @Test
    void md2WithSeveralTlvsOfEveryPadding() {
        ByteBuffer buf = ByteBuffer.allocate(256);
        ByteBuffer value = fromHex("0102030405060708");
        nsh.wrap(buf, 0).writeMd2(42, 200, 10, 2);
        int[] lengths = {0, 1, 2, 3, 4, 5, 8};
        for (int i = 0; i < lengths.length; i++) {
            nsh.appendTlv(0xFFFF - i, 0x80 + i, value, 0, lengths[i]);
        }
        nsh.appendTlvInt(0, 0xFF, 0xDEADBEEF);
        int expectedBytes = 8 + (4 + 0) + (4 + 4) + (4 + 4) + (4 + 4) + (4 + 4) + (4 + 8) + (4 + 8) + (4 + 4);
        assertThat(nsh.lengthBytes()).isEqualTo(expectedBytes);
        assertThat(nsh.validate(expectedBytes)).isEqualTo(WireError.OK);
        int count = 0;
        for (int tlv = nsh.firstTlv(); tlv >= 0; tlv = nsh.nextTlv(tlv)) {
            if (count < lengths.length) {
                assertThat(nsh.tlvClass(tlv)).isEqualTo(0xFFFF - count);
                assertThat(nsh.tlvType(tlv)).isEqualTo(0x80 + count);
                assertThat(nsh.tlvLength(tlv)).isEqualTo(lengths[count]);
                for (int b = 0; b < lengths[count]; b++) {
                    assertThat(buf.get(nsh.tlvValueOffset(tlv) + b)).isEqualTo((byte) (b + 1));
                }
                for (int b = lengths[count]; b < ((lengths[count] + 3) & ~3); b++) {
                    assertThat(buf.get(nsh.tlvValueOffset(tlv) + b)).as("padding").isZero();
                }
            } else {
                assertThat(nsh.tlvClass(tlv)).isZero();
                assertThat(nsh.tlvType(tlv)).isEqualTo(0xFF);
                assertThat(buf.getInt(nsh.tlvValueOffset(tlv))).isEqualTo(0xDEADBEEF);
            }
            count++;
        }
        assertThat(count).isEqualTo(lengths.length + 1);
        assertThat(nsh.findTlv(0xFFFF - 3, 0x83)).isEqualTo(8 + 4 + 8 + 8);
        assertThat(nsh.findTlv(1, 1)).isEqualTo(-1);
    }

    @Test
    void tlvOfMaximumLengthAndHeaderOfMaximumSize() {
        ByteBuffer buf = ByteBuffer.allocate(300);
        ByteBuffer value = ByteBuffer.allocate(127);
        nsh.wrap(buf, 0).writeMd2(1, 1, 1, 1);
        nsh.appendTlv(1, 1, value, 0, 127); // 4 + 128
        nsh.appendTlv(1, 2, value, 0, 100); // 4 + 100 -> 8 + 132 + 104 = 244
        nsh.appendTlv(1, 3, value, 0, 4);   // 252 = 63 words, the maximum
        assertThat(nsh.length()).isEqualTo(63);
        assertThat(nsh.validate(252)).isEqualTo(WireError.OK);
        assertThatThrownBy(() -> nsh.appendTlv(1, 4, value, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> nsh.wrap(buf, 0).writeMd2(1, 1, 1, 1).appendTlv(1, 1, value, 0, 128))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tlvWireLength() {
        assertThat(NshHeader.tlvWireLength(0)).isEqualTo(4);
        assertThat(NshHeader.tlvWireLength(1)).isEqualTo(8);
        assertThat(NshHeader.tlvWireLength(4)).isEqualTo(8);
        assertThat(NshHeader.tlvWireLength(5)).isEqualTo(12);
        assertThat(NshHeader.tlvWireLength(127)).isEqualTo(132);
    }

    @Test
    void rejectsTruncatedHeaders() {
        ByteBuffer buf = ByteBuffer.allocate(24);
        nsh.wrap(buf, 0).writeMd1(1, 1, 1, 1);
        assertThat(nsh.validate(7)).isEqualTo(WireError.TRUNCATED);
        assertThat(nsh.validate(0)).isEqualTo(WireError.TRUNCATED);
        assertThat(nsh.validate(23)).isEqualTo(WireError.BAD_LENGTH);
        assertThat(nsh.wrap(buf, 20).validate(8)).isEqualTo(WireError.TRUNCATED); // past the buffer's end
        assertThat(nsh.wrap(buf, -1).validate(8)).isEqualTo(WireError.TRUNCATED);
        // The caller claims more than the buffer holds: clamped to the limit.
        assertThat(nsh.wrap(buf.limit(20), 0).validate(24)).isEqualTo(WireError.BAD_LENGTH);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void rejectsVersionOtherThanZero(int version) {
        ByteBuffer buf = ByteBuffer.allocate(24);
        nsh.wrap(buf, 0).writeMd1(1, 1, 1, 1);
        buf.put(0, (byte) (buf.get(0) | (version << 6)));
        assertThat(nsh.version()).isEqualTo(version);
        assertThat(nsh.validate(24)).isEqualTo(WireError.BAD_VERSION);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 4, 14, 15})
    void rejectsUnknownMdTypes(int mdType) {
        ByteBuffer buf = ByteBuffer.allocate(24);
        nsh.wrap(buf, 0).writeMd1(1, 1, 1, 1).mdType(mdType);
        assertThat(nsh.validate(24)).isEqualTo(WireError.UNKNOWN_MD_TYPE);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 5, 7, 63})
    void rejectsMd1LengthOtherThanSix(int words) {
        ByteBuffer buf = ByteBuffer.allocate(256);
        nsh.wrap(buf, 0).writeMd1(1, 1, 1, 1).length(words);
        assertThat(nsh.validate(256)).isEqualTo(WireError.BAD_LENGTH);
    }

    @Test
    void rejectsMd2LengthBelowTwoOrBeyondTheDatagram() {
        ByteBuffer buf = ByteBuffer.allocate(64);
        nsh.wrap(buf, 0).writeMd2(1, 1, 1, 1);
        nsh.length(1);
        assertThat(nsh.validate(64)).isEqualTo(WireError.BAD_LENGTH);
        nsh.length(0);
        assertThat(nsh.validate(64)).isEqualTo(WireError.BAD_LENGTH);
        nsh.length(17); // 68 bytes > 64 available
        assertThat(nsh.validate(64)).isEqualTo(WireError.BAD_LENGTH);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 6, 0x7F, 0xFE, 0xFF})
    void rejectsUnknownNextProtocol(int next) {
        ByteBuffer buf = ByteBuffer.allocate(24);
        nsh.wrap(buf, 0).writeMd1(1, 1, 1, next);
        assertThat(nsh.validate(24)).isEqualTo(WireError.UNKNOWN_NEXT_PROTOCOL);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5})
    void acceptsRegisteredNextProtocols(int next) {
        ByteBuffer buf = ByteBuffer.allocate(24);
        nsh.wrap(buf, 0).writeMd1(1, 1, 1, next);
        assertThat(nsh.validate(24)).isEqualTo(WireError.OK);
    }

    @Test
    void rejectsTlvsThatOverrunTheHeader() {
        ByteBuffer buf = ByteBuffer.allocate(64);
        nsh.wrap(buf, 0).writeMd2(1, 1, 1, 1);
        nsh.appendTlv(1, 1, fromHex("01020304"), 0, 4);
        assertThat(nsh.validate(64)).isEqualTo(WireError.OK);
        buf.put(11, (byte) 5); // value claims 5 bytes (8 padded) but 4 are there
        assertThat(nsh.validate(64)).isEqualTo(WireError.TLV_OVERRUN);
        buf.put(11, (byte) 127);
        assertThat(nsh.validate(64)).isEqualTo(WireError.TLV_OVERRUN);
        buf.put(11, (byte) 4);
        nsh.length(nsh.length() + 1); // a trailing 4-byte TLV header with length 0 is fine...
        buf.putInt(16, 0x00010200);
        assertThat(nsh.validate(64)).isEqualTo(WireError.OK);
        buf.putInt(16, 0x00010201); // ...one claiming a value is not
        assertThat(nsh.validate(64)).isEqualTo(WireError.TLV_OVERRUN);
    }

    @Test
    void lengthNotAMultipleOfTlvsIsAnOverrun() {
        // MD2 length 3 words: 4 bytes after the base, enough for one TLV header only.
        ByteBuffer buf = fromHex("0fc30201 000001ff 00010201");
        assertThat(nsh.wrap(buf, 0).validate(12)).isEqualTo(WireError.TLV_OVERRUN);
    }

    @Test
    void unassignedTlvBitIsReadButDoesNotChangeTheLength() {
        ByteBuffer buf = fromHex("0fc40201 000001ff 00010284 cafebabe");
        assertThat(nsh.wrap(buf, 0).validate(16)).isEqualTo(WireError.OK);
        assertThat(nsh.tlvUnassignedBit(8)).isTrue();
        assertThat(nsh.tlvLength(8)).isEqualTo(4);
    }
}
