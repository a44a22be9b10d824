package io.astaire.wire;

import static io.astaire.wire.Packets.fromHex;
import static io.astaire.wire.Packets.hex;
import static io.astaire.wire.Packets.ipv4;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class GpeNshPacketTest {

    private final GpeNshPacket packet = new GpeNshPacket();
    private final InnerPacket inner = new InnerPacket();

    @Test
    void encapsulatesMd1InPlaceInFrontOfTheInnerPacket() {
        ByteBuffer buf = ByteBuffer.allocateDirect(2048);
        int innerOffset = 64;
        int innerLength = Packets.ipv4Udp(buf, innerOffset, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), 5000, 80, 100);
        String innerBefore = hex(buf, innerOffset, innerLength);

        int start = GpeNshPacket.encapsulateMd1(buf, innerOffset, innerLength, 0xABCDEF, 255, 63,
            NshHeader.NEXT_PROTOCOL_IPV4);

        assertThat(start).isEqualTo(innerOffset - GpeNshPacket.HEADROOM_MD1);
        assertThat(hex(buf, start, 32)).isEqualTo("0c000004" + "00000000" + "0fc60101" + "abcdefff" + "00".repeat(16));
        assertThat(hex(buf, innerOffset, innerLength)).isEqualTo(innerBefore);

        assertThat(packet.wrap(buf, start, innerLength + 32)).isEqualTo(WireError.OK);
        assertThat(packet.offset()).isEqualTo(start);
        assertThat(packet.length()).isEqualTo(innerLength + 32);
        assertThat(packet.innerOffset()).isEqualTo(innerOffset);
        assertThat(packet.innerLength()).isEqualTo(innerLength);
        assertThat(packet.headerLength()).isEqualTo(32);
        assertThat(packet.gpe().nextProtocol()).isEqualTo(VxlanGpeHeader.NEXT_PROTOCOL_NSH);
        assertThat(packet.nsh().spi()).isEqualTo(0xABCDEF);
        assertThat(packet.nsh().si()).isEqualTo(255);
        assertThat(packet.nsh().ttl()).isEqualTo(63);
        assertThat(inner.wrap(buf, packet.innerOffset(), packet.innerLength(), packet.nsh().nextProtocol()))
            .isEqualTo(WireError.OK);
        assertThat(inner.destinationPort()).isEqualTo(80);
    }

    @Test
    void hopProcessingRewritesSiAndTtlInPlace() {
        ByteBuffer buf = ByteBuffer.allocate(256);
        int innerLength = Packets.ipv4IcmpEcho(buf, 32, ipv4(1, 2, 3, 4), ipv4(5, 6, 7, 8), 7, 1, 0);
        int start = GpeNshPacket.encapsulateMd1(buf, 32, innerLength, 1, 255, 63, 1);
        assertThat(packet.wrap(buf, start, 32 + innerLength)).isEqualTo(WireError.OK);
        packet.nsh().si(packet.nsh().si() - 1).ttl(packet.nsh().ttl() - 1);
        assertThat(packet.wrap(buf, start, 32 + innerLength)).isEqualTo(WireError.OK);
        assertThat(packet.nsh().si()).isEqualTo(254);
        assertThat(packet.nsh().ttl()).isEqualTo(62);
        assertThat(packet.nsh().length()).isEqualTo(6);
    }

    @Test
    void encapsulatesMd2WithPreEncodedTlvs() {
        ByteBuffer tlvs = ByteBuffer.allocate(64);
        NshHeader builder = new NshHeader().wrap(tlvs, 0).writeMd2(0, 0, 0, 0);
        builder.appendTlvInt(0x0000, 0x01, 0x01020304);
        builder.appendTlv(0x0106, 0x02, fromHex("aabbcc"), 0, 3);
        int tlvBytes = builder.lengthBytes() - NshHeader.BASE_LENGTH;
        assertThat(tlvBytes).isEqualTo(16);

        ByteBuffer buf = ByteBuffer.allocate(512);
        int innerOffset = 100;
        int innerLength = Packets.ipv4Udp(buf, innerOffset, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), 1, 2, 3);
        int start = GpeNshPacket.encapsulateMd2(buf, innerOffset, innerLength, 7, 250, 20, 1, tlvs, 8, tlvBytes);
        assertThat(start).isEqualTo(innerOffset - 8 - 8 - 16);

        assertThat(packet.wrap(buf, start, innerOffset + innerLength - start)).isEqualTo(WireError.OK);
        NshHeader nsh = packet.nsh();
        assertThat(nsh.mdType()).isEqualTo(2);
        assertThat(nsh.length()).isEqualTo(6);
        assertThat(nsh.spi()).isEqualTo(7);
        assertThat(nsh.si()).isEqualTo(250);
        assertThat(nsh.ttl()).isEqualTo(20);
        int first = nsh.firstTlv();
        assertThat(buf.getInt(nsh.tlvValueOffset(first))).isEqualTo(0x01020304);
        int second = nsh.nextTlv(first);
        assertThat(nsh.tlvClass(second)).isEqualTo(0x0106);
        assertThat(nsh.tlvLength(second)).isEqualTo(3);
        assertThat(nsh.nextTlv(second)).isEqualTo(-1);
        assertThat(packet.innerOffset()).isEqualTo(innerOffset);
    }

    @Test
    void encapsulateMd2WithoutTlvs() {
        ByteBuffer buf = ByteBuffer.allocate(128);
        int innerLength = Packets.ipv4Udp(buf, 16, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), 1, 2, 0);
        int start = GpeNshPacket.encapsulateMd2(buf, 16, innerLength, 1, 1, 1, 1, null, 0, 0);
        assertThat(start).isZero();
        assertThat(packet.wrap(buf, 0, 16 + innerLength)).isEqualTo(WireError.OK);
        assertThat(packet.nsh().firstTlv()).isEqualTo(-1);
        assertThatThrownBy(() -> GpeNshPacket.encapsulateMd2(buf, 64, 1, 1, 1, 1, 1, buf, 0, 6))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GpeNshPacket.encapsulateMd2(buf, 64, 1, 1, 1, 1, 1, buf, 0, 248))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesToEncapsulateWithoutHeadroom() {
        ByteBuffer buf = ByteBuffer.allocate(128);
        assertThat(GpeNshPacket.encapsulateMd1(buf, 31, 20, 1, 1, 1, 1)).isEqualTo(-1);
        assertThat(GpeNshPacket.encapsulateMd1(buf, 32, 97, 1, 1, 1, 1)).isEqualTo(-1); // runs past the limit
        assertThat(GpeNshPacket.encapsulateMd1(buf, 32, 96, 1, 1, 1, 1)).isZero();
        assertThat(GpeNshPacket.encapsulateMd2(buf, 20, 20, 1, 1, 1, 1, buf, 0, 8)).isEqualTo(-1);
    }

    @Test
    void anEmptyInnerPacketIsAValidDatagram() {
        ByteBuffer buf = ByteBuffer.allocate(32);
        int start = GpeNshPacket.encapsulateMd1(buf, 32, 0, 1, 1, 1, 1);
        assertThat(packet.wrap(buf, start, 32)).isEqualTo(WireError.OK);
        assertThat(packet.innerLength()).isZero();
        assertThat(inner.wrap(buf, packet.innerOffset(), packet.innerLength())).isEqualTo(WireError.INNER_TRUNCATED);
    }

    @Test
    void reportsGpeErrorsBeforeNshErrors() {
        ByteBuffer buf = ByteBuffer.allocate(64);
        int start = GpeNshPacket.encapsulateMd1(buf, 32, 0, 1, 1, 1, 1);
        buf.put(start + 3, (byte) 1); // GPE says IPv4, not NSH
        assertThat(packet.wrap(buf, start, 32)).isEqualTo(WireError.GPE_NOT_NSH);
        buf.put(start + 3, (byte) 9);
        assertThat(packet.wrap(buf, start, 32)).isEqualTo(WireError.UNKNOWN_GPE_NEXT_PROTOCOL);
        buf.put(start + 3, (byte) 4);
        buf.put(start, (byte) 0x08);
        assertThat(packet.wrap(buf, start, 32)).isEqualTo(WireError.BAD_GPE_FLAGS);
        buf.put(start, (byte) 0x0C);
        buf.put(start + 8, (byte) 0x4F); // NSH version 1
        assertThat(packet.wrap(buf, start, 32)).isEqualTo(WireError.BAD_VERSION);
    }

    @Test
    void rejectsRegionsOutsideTheBuffer() {
        ByteBuffer buf = ByteBuffer.allocate(64);
        GpeNshPacket.encapsulateMd1(buf, 32, 0, 1, 1, 1, 1);
        assertThat(packet.wrap(buf, 0, 65)).isEqualTo(WireError.TRUNCATED);
        assertThat(packet.wrap(buf, -1, 10)).isEqualTo(WireError.TRUNCATED);
        assertThat(packet.wrap(buf, 0, -1)).isEqualTo(WireError.TRUNCATED);
        assertThat(packet.wrap(buf, 65, 0)).isEqualTo(WireError.TRUNCATED);
        assertThat(packet.wrap(buf, 0, 7)).isEqualTo(WireError.TRUNCATED);
        assertThat(packet.wrap(buf, 0, 15)).isEqualTo(WireError.TRUNCATED);
        assertThat(packet.wrap(buf, 0, 31)).isEqualTo(WireError.BAD_LENGTH);
        assertThat(packet.wrap(buf, 0, 32)).isEqualTo(WireError.OK);
    }

    @Test
    void decodesAnMd2DatagramWrittenByHand() {
        // GPE (I, P, next NSH, VNI 1) | NSH ttl 63 len 5 MD2 next IPv6 SPI 0x800001 SI 254 |
        // TLV class 0x0101 type 5 len 6 + 2 padding | 0 inner bytes
        ByteBuffer buf = fromHex("0c000004 00000100 0fc50202 800001fe 01010506 aabbccddeeff0000");
        assertThat(packet.wrap(buf, 0, buf.capacity())).isEqualTo(WireError.OK);
        assertThat(packet.gpe().vni()).isEqualTo(1);
        assertThat(packet.nsh().spi()).isEqualTo(0x800001);
        assertThat(packet.nsh().si()).isEqualTo(254);
        assertThat(packet.nsh().nextProtocol()).isEqualTo(2);
        int tlv = packet.nsh().firstTlv();
        assertThat(packet.nsh().tlvType(tlv)).isEqualTo(5);
        assertThat(hex(buf, packet.nsh().tlvValueOffset(tlv), packet.nsh().tlvLength(tlv))).isEqualTo("aabbccddeeff");
        assertThat(packet.innerOffset()).isEqualTo(buf.capacity());
        assertThat(packet.innerLength()).isZero();
    }
}
