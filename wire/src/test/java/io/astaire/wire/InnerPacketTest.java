package io.astaire.wire;

import static io.astaire.wire.Packets.fromHex;
import static io.astaire.wire.Packets.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InnerPacketTest {

    private static final long[] V6_A = {0x20010db800000000L, 0x0000000000000001L};
    private static final long[] V6_B = {0x20010db8ffff0000L, 0x00000000000000ffL};

    private final InnerPacket packet = new InnerPacket();
    private final ByteBuffer buf = ByteBuffer.allocate(4096);

    @Test
    void ipv4Udp() {
        int length = Packets.ipv4Udp(buf, 10, ipv4(10, 1, 2, 3), ipv4(192, 168, 0, 255), 5353, 53, 17);
        assertThat(packet.wrap(buf, 10, length)).isEqualTo(WireError.OK);
        assertThat(packet.version()).isEqualTo(4);
        assertThat(packet.protocol()).isEqualTo(InnerPacket.PROTOCOL_UDP);
        assertThat(packet.headerLength()).isEqualTo(20);
        assertThat(packet.l4Offset()).isEqualTo(30);
        assertThat(packet.l4Length()).isEqualTo(25);
        assertThat(packet.totalLength()).isEqualTo(45);
        assertThat(packet.isUdp()).isTrue();
        assertThat(packet.isTcp()).isFalse();
        assertThat(packet.isFragment()).isFalse();
        assertThat(packet.sourcePort()).isEqualTo(5353);
        assertThat(packet.destinationPort()).isEqualTo(53);
        assertThat(packet.ipv4Source()).isEqualTo(ipv4(10, 1, 2, 3));
        assertThat(packet.ipv4Destination()).isEqualTo(ipv4(192, 168, 0, 255));
        assertThat(packet.ipv6SourceHigh()).isZero();
        assertThat(packet.ttl()).isEqualTo(64);
        assertThat(packet.dscp()).isZero();
        assertThat(packet.icmpType()).isEqualTo(-1);
        byte[] address = new byte[16];
        assertThat(packet.copySourceAddress(address)).isEqualTo(4);
        assertThat(address[0]).isEqualTo((byte) 10);
        assertThat(address[3]).isEqualTo((byte) 3);
        assertThat(packet.copyDestinationAddress(address)).isEqualTo(4);
        assertThat(address[0] & 0xFF).isEqualTo(192);
        assertThat(packet.udp().length()).isEqualTo(25);
        assertThat(Checksums.verifyIpv4Header(buf, 10, 20)).isTrue();
    }

    @Test
    void ipv4WithOptionsAndTcpWithOptions() {
        int total = 24 + 32 + 5;
        Packets.ipv4Header(buf, 0, 24, total, 6, ipv4(1, 1, 1, 1), ipv4(2, 2, 2, 2));
        Packets.tcpHeader(buf, 24, 443, 55555, 12);
        assertThat(packet.wrap(buf, 0, total)).isEqualTo(WireError.OK);
        assertThat(packet.headerLength()).isEqualTo(24);
        assertThat(packet.l4Offset()).isEqualTo(24);
        assertThat(packet.isTcp()).isTrue();
        assertThat(packet.tcp().headerLength()).isEqualTo(32);
        assertThat(packet.tcp().flags()).isEqualTo(TcpHeader.SYN | TcpHeader.ACK);
        assertThat(packet.sourcePort()).isEqualTo(443);
        assertThat(packet.destinationPort()).isEqualTo(55555);
    }

    @Test
    void ipv4IcmpEcho() {
        int length = Packets.ipv4IcmpEcho(buf, 0, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), 0x4242, 9, 56);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(packet.isIcmp()).isTrue();
        assertThat(packet.isIcmpEcho()).isTrue();
        assertThat(packet.icmpType()).isEqualTo(8);
        assertThat(packet.icmpCode()).isZero();
        assertThat(packet.icmp().identifier()).isEqualTo(0x4242);
        assertThat(packet.icmp().sequence()).isEqualTo(9);
        assertThat(packet.sourcePort()).isZero();
        assertThat(packet.destinationPort()).isZero();
    }

    @Test
    void ipv6Tcp() {
        int length = Packets.ipv6Tcp(buf, 0, V6_A, V6_B, 40000, 80, 10);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(packet.version()).isEqualTo(6);
        assertThat(packet.protocol()).isEqualTo(6);
        assertThat(packet.headerLength()).isEqualTo(40);
        assertThat(packet.sourcePort()).isEqualTo(40000);
        assertThat(packet.destinationPort()).isEqualTo(80);
        assertThat(packet.ipv6SourceHigh()).isEqualTo(V6_A[0]);
        assertThat(packet.ipv6SourceLow()).isEqualTo(V6_A[1]);
        assertThat(packet.ipv6DestinationHigh()).isEqualTo(V6_B[0]);
        assertThat(packet.ipv6DestinationLow()).isEqualTo(V6_B[1]);
        assertThat(packet.ipv4Source()).isZero();
        assertThat(packet.ttl()).isEqualTo(64);
        byte[] address = new byte[16];
        assertThat(packet.copySourceAddress(address)).isEqualTo(16);
        assertThat(address[0] & 0xFF).isEqualTo(0x20);
        assertThat(address[15]).isEqualTo((byte) 1);
        assertThat(packet.copyDestinationAddress(address)).isEqualTo(16);
        assertThat(address[15] & 0xFF).isEqualTo(0xFF);
    }

    @Test
    void ipv6IcmpEcho() {
        int length = Packets.ipv6IcmpEcho(buf, 0, V6_A, V6_B, 77, 1);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(packet.protocol()).isEqualTo(InnerPacket.PROTOCOL_ICMPV6);
        assertThat(packet.isIcmpEcho()).isTrue();
        assertThat(packet.icmpType()).isEqualTo(128);
    }

    /** Hop-by-hop, routing, destination options, AH, fragment (offset 0), then UDP. */
    static byte[] extensionChain() {
        return fromHex("2b00 010400000000"          // HBH: next routing, len 0, PadN
            + "3c02 0400 00000000"                    // routing (segment routing): next dest opts, len 2,
            + "fd000000000000000000000000000001"      //   segments left 0, one segment
            + "3300 010400000000"                     // dest opts: next AH, len 0, PadN
            + "2c02 0000 00001000 00000001 00000000"  // AH: next fragment, len 2 (16 bytes)
            + "1100 0000 0000abcd").array();          // fragment: next UDP, offset 0, M 0
    }

    @Test
    void ipv6SkipsCommonExtensionHeaders() {
        byte[] extensions = extensionChain();
        int length = Packets.ipv6Udp(buf, 0, V6_A, V6_B, 1111, 2222, 3, 0, extensions);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(packet.protocol()).isEqualTo(17);
        assertThat(packet.headerLength()).isEqualTo(40 + 64);
        assertThat(packet.sourcePort()).isEqualTo(1111);
        assertThat(packet.destinationPort()).isEqualTo(2222);
        assertThat(packet.isFragment()).as("offset 0 without M: an atomic fragment, a whole datagram").isFalse();
    }

    @Test
    void ipv6FirstFragmentKeepsItsPortsButNotItsUdpLength() {
        byte[] fragment = fromHex("1100 0001 0000abcd").array(); // offset 0, M 1
        int length = Packets.ipv6Udp(buf, 0, V6_A, V6_B, 7, 8, 16, 44, fragment);
        buf.putShort(48 + 4, (short) 3000); // the whole datagram's UDP length
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(packet.isFragment()).isTrue();
        assertThat(packet.sourcePort()).isEqualTo(7);
        buf.putShort(42, (short) 0); // same packet as an atomic fragment: now the UDP length must agree
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.INNER_LENGTH_MISMATCH);
    }

    @Test
    void ipv6LaterFragmentHasNoTransportHeader() {
        byte[] fragment = fromHex("1100 0008 0000abcd").array(); // offset 1 (8 bytes), M 0
        int length = Packets.ipv6Udp(buf, 0, V6_A, V6_B, 1, 2, 0, 44, fragment);
        buf.putInt(48, 0xFFFFFFFF); // the would-be UDP header is mid-datagram bytes
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(packet.protocol()).isEqualTo(17);
        assertThat(packet.hasTransportHeader()).isFalse();
        assertThat(packet.isFragment()).isTrue();
        assertThat(packet.sourcePort()).isZero();
        assertThat(packet.l4Offset()).isEqualTo(48);
    }

    @Test
    void ipv4LaterFragmentHasNoTransportHeader() {
        Packets.ipv4Header(buf, 0, 20, 23, 6, 1, 2);
        buf.putShort(6, (short) 0x0010); // offset 16 units
        assertThat(packet.wrap(buf, 0, 23)).isEqualTo(WireError.OK); // 3 bytes: too short for TCP, but no TCP header here
        assertThat(packet.isFragment()).isTrue();
        assertThat(packet.hasTransportHeader()).isFalse();
        assertThat(packet.destinationPort()).isZero();
    }

    @Test
    void ipv4FirstFragmentUdpLengthMayExceedTheBytes() {
        int length = Packets.ipv4Udp(buf, 0, 1, 2, 3, 4, 40);
        buf.putShort(6, (short) 0x2000); // MF
        buf.putShort(24, (short) 1000);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(packet.isFragment()).isTrue();
        assertThat(packet.destinationPort()).isEqualTo(4);
    }

    @Test
    void noNextHeaderAndUnknownProtocols() {
        Packets.ipv6Header(buf, 0, 4, 59, V6_A, V6_B);
        assertThat(packet.wrap(buf, 0, 44)).isEqualTo(WireError.OK);
        assertThat(packet.protocol()).isEqualTo(59);
        assertThat(packet.hasTransportHeader()).isFalse();
        Packets.ipv4Header(buf, 0, 20, 21, 47, 1, 2); // GRE: opaque
        assertThat(packet.wrap(buf, 0, 21)).isEqualTo(WireError.OK);
        assertThat(packet.protocol()).isEqualTo(47);
        assertThat(packet.sourcePort()).isZero();
        Packets.ipv6Header(buf, 0, 8, 1, V6_A, V6_B); // ICMPv4 inside IPv6: opaque
        assertThat(packet.wrap(buf, 0, 48)).isEqualTo(WireError.OK);
        assertThat(packet.isIcmp()).isFalse();
    }

    @Test
    void rejectsBadVersionsAndEmptyPackets() {
        assertThat(packet.wrap(buf, 0, 0)).isEqualTo(WireError.INNER_TRUNCATED);
        for (int version : new int[] {0, 1, 5, 7, 15}) {
            buf.put(0, (byte) (version << 4 | 5));
            assertThat(packet.wrap(buf, 0, 40)).as("version %d", version).isEqualTo(WireError.BAD_IP_VERSION);
        }
        assertThat(packet.wrap(buf, 4090, 10)).isEqualTo(WireError.INNER_TRUNCATED);
        assertThat(packet.wrap(buf, -1, 10)).isEqualTo(WireError.INNER_TRUNCATED);
    }

    @Test
    void nshNextProtocolMustAgreeWithTheIpVersion() {
        int v4 = Packets.ipv4Udp(buf, 0, 1, 2, 3, 4, 0);
        assertThat(packet.wrap(buf, 0, v4, NshHeader.NEXT_PROTOCOL_IPV4)).isEqualTo(WireError.OK);
        assertThat(packet.wrap(buf, 0, v4, NshHeader.NEXT_PROTOCOL_IPV6)).isEqualTo(WireError.BAD_IP_VERSION);
        assertThat(packet.wrap(buf, 0, v4, NshHeader.NEXT_PROTOCOL_ETHERNET)).isEqualTo(WireError.BAD_IP_VERSION);
        int v6 = Packets.ipv6Tcp(buf, 0, V6_A, V6_B, 1, 2, 0);
        assertThat(packet.wrap(buf, 0, v6, NshHeader.NEXT_PROTOCOL_IPV6)).isEqualTo(WireError.OK);
        assertThat(packet.wrap(buf, 0, v6, NshHeader.NEXT_PROTOCOL_IPV4)).isEqualTo(WireError.BAD_IP_VERSION);
    }

    @Test
    void rejectsBrokenIpv4Headers() {
        int length = Packets.ipv4Udp(buf, 0, 1, 2, 3, 4, 10);
        assertThat(packet.wrap(buf, 0, 19)).isEqualTo(WireError.INNER_TRUNCATED);
        assertThat(packet.wrap(buf, 0, length - 1)).isEqualTo(WireError.INNER_LENGTH_MISMATCH);
        buf.putShort(2, (short) (length + 1));
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.INNER_LENGTH_MISMATCH);
        buf.putShort(2, (short) length);
        buf.put(0, (byte) 0x44);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.BAD_IP_HEADER_LENGTH);
        buf.put(0, (byte) 0x40);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.BAD_IP_HEADER_LENGTH);
        buf.put(0, (byte) 0x4F); // 60 bytes of header in a 38-byte packet
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.INNER_TRUNCATED);
    }

    @Test
    void rejectsBrokenIpv6Headers() {
        int length = Packets.ipv6Udp(buf, 0, V6_A, V6_B, 1, 2, 4, 17, new byte[0]);
        assertThat(packet.wrap(buf, 0, 39)).isEqualTo(WireError.INNER_TRUNCATED);
        assertThat(packet.wrap(buf, 0, length + 1)).isEqualTo(WireError.INNER_LENGTH_MISMATCH);
        buf.putShort(4, (short) 0); // jumbogram-style zero payload length
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.INNER_LENGTH_MISMATCH);
    }

    @Test
    void rejectsExtensionHeadersThatOverrunOrNeverEnd() {
        byte[] hbh = fromHex("1100 0104 00000000").array();
        int length = Packets.ipv6Udp(buf, 0, V6_A, V6_B, 1, 2, 0, 0, hbh);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        buf.put(41, (byte) 2); // 24 bytes, but only 8 + UDP 8 are there
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.BAD_EXTENSION_HEADER);
        // A header cut before its 8 bytes.
        Packets.ipv6Header(buf, 0, 4, 60, V6_A, V6_B);
        assertThat(packet.wrap(buf, 0, 44)).isEqualTo(WireError.INNER_TRUNCATED);
        // Nine destination-options headers in a row.
        Packets.ipv6Header(buf, 0, 9 * 8, 60, V6_A, V6_B);
        for (int i = 0; i < 9; i++) {
            buf.putLong(40 + 8 * i, 0x3c00_0104_0000_0000L);
        }
        assertThat(packet.wrap(buf, 0, 40 + 72)).isEqualTo(WireError.BAD_EXTENSION_HEADER);
        // Eight is fine (ends in "no next header").
        buf.put(40 + 7 * 8, (byte) 59);
        Packets.ipv6Header(buf, 0, 8 * 8, 60, V6_A, V6_B);
        assertThat(packet.wrap(buf, 0, 40 + 64)).isEqualTo(WireError.OK);
    }

    @Test
    void rejectsBrokenTransportHeaders() {
        // TCP shorter than 20 bytes.
        Packets.ipv4Header(buf, 0, 20, 39, 6, 1, 2);
        assertThat(packet.wrap(buf, 0, 39)).isEqualTo(WireError.INNER_TRUNCATED);
        // TCP data offset 4 and 15.
        int length = Packets.ipv4Tcp(buf, 0, 1, 2, 3, 4, 0, 8);
        buf.put(32, (byte) 0x40);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.BAD_L4_HEADER);
        buf.put(32, (byte) 0xF0);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.BAD_L4_HEADER);
        buf.put(32, (byte) 0x70); // 28 bytes of header: exactly the 28 present
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        // UDP shorter than 8, UDP length disagreeing.
        Packets.ipv4Header(buf, 0, 20, 27, 17, 1, 2);
        assertThat(packet.wrap(buf, 0, 27)).isEqualTo(WireError.INNER_TRUNCATED);
        length = Packets.ipv4Udp(buf, 0, 1, 2, 3, 4, 10);
        buf.putShort(24, (short) 17);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.INNER_LENGTH_MISMATCH);
        buf.putShort(24, (short) 19);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.INNER_LENGTH_MISMATCH);
        // ICMP shorter than 8.
        Packets.ipv4Header(buf, 0, 20, 24, 1, 1, 2);
        assertThat(packet.wrap(buf, 0, 24)).isEqualTo(WireError.INNER_TRUNCATED);
        Packets.ipv6Header(buf, 0, 4, 58, V6_A, V6_B);
        assertThat(packet.wrap(buf, 0, 44)).isEqualTo(WireError.INNER_TRUNCATED);
    }

    @Test
    void aFailedWrapLeavesNoStalePorts() {
        int length = Packets.ipv4Udp(buf, 0, 1, 2, 3, 4, 0);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(packet.wrap(buf, 0, length - 1)).isNotEqualTo(WireError.OK);
        assertThat(packet.sourcePort()).isZero();
        assertThat(packet.version()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "udp", "udp-no-checksum"})
    void natSettersKeepEveryChecksumRight(String kind) {
        int length = kind.equals("tcp")
            ? Packets.ipv4Tcp(buf, 0, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), 1234, 80, 4, 33)
            : Packets.ipv4Udp(buf, 0, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), 1234, 80, 33);
        if (kind.equals("udp-no-checksum")) {
            buf.putShort(26, (short) 0);
        }
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        packet.ipv4Source(ipv4(203, 0, 113, 77)).sourcePort(61000).ipv4Destination(ipv4(198, 51, 100, 255))
            .destinationPort(8443).ttl(1).dscp(46);
        assertThat(packet.ipv4Source()).isEqualTo(ipv4(203, 0, 113, 77));
        assertThat(packet.ipv4Destination()).isEqualTo(ipv4(198, 51, 100, 255));
        assertThat(packet.sourcePort()).isEqualTo(61000);
        assertThat(packet.destinationPort()).isEqualTo(8443);
        assertThat(packet.ttl()).isEqualTo(1);
        assertThat(packet.dscp()).isEqualTo(46);
        assertThat(packet.ipv4().ecn()).isZero();
        assertThat(packet.ipv4().checksum()).isEqualTo(Checksums.ipv4Header(buf, 0, 20));
        assertThat(Checksums.verifyIpv4Header(buf, 0, 20)).isTrue();
        if (kind.equals("tcp")) {
            assertThat(packet.tcp().checksum()).isEqualTo(Checksums.transport(buf, packet));
        } else if (kind.equals("udp")) {
            assertThat(packet.udp().checksum()).isEqualTo(Checksums.transport(buf, packet));
        } else {
            assertThat(packet.udp().checksum()).isZero();
        }
    }

    @Test
    void ipv6SettersForDscpAndHopLimit() {
        int length = Packets.ipv6Tcp(buf, 0, V6_A, V6_B, 1, 2, 0);
        buf.putInt(0, 0x6000ABCD | (0x3 << 20)); // ECN 3, flow label 0xABCD
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        packet.dscp(63).ttl(5);
        assertThat(packet.dscp()).isEqualTo(63);
        assertThat(packet.ipv6().trafficClass()).isEqualTo(0xFF);
        assertThat(packet.ipv6().flowLabel()).isEqualTo(0xABCD);
        assertThat(packet.ttl()).isEqualTo(5);
        assertThat(packet.version()).isEqualTo(6);
    }

    @Test
    void resizeFixesLengthsAndChecksumsAfterAFunctionGrewThePacket() {
        int length = Packets.ipv4Udp(buf, 0, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), 1, 2, 5);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        buf.putLong(length, 0x0102030405060708L); // the function appends 8 bytes
        assertThat(packet.resize(length + 8)).isEqualTo(WireError.OK);
        assertThat(packet.totalLength()).isEqualTo(length + 8);
        assertThat(packet.ipv4().totalLength()).isEqualTo(length + 8);
        assertThat(packet.udp().length()).isEqualTo(8 + 5 + 8);
        assertThat(Checksums.verifyIpv4Header(buf, 0, 20)).isTrue();
        assertThat(packet.udp().checksum()).isEqualTo(Checksums.transport(buf, packet));
        // An independent decoder's view: a fresh wrap agrees.
        assertThat(new InnerPacket().wrap(buf, 0, length + 8)).isEqualTo(WireError.OK);
    }

    @Test
    void resizeShrinksTcpAndIpv6WithExtensionHeaders() {
        int length = Packets.ipv4Tcp(buf, 0, 1, 2, 3, 4, 0, 30);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(packet.resize(length - 30)).isEqualTo(WireError.OK);
        assertThat(packet.l4Length()).isEqualTo(20);
        assertThat(packet.tcp().checksum()).isEqualTo(Checksums.transport(buf, packet));
        assertThat(packet.resize(length - 31)).isEqualTo(WireError.INNER_TRUNCATED); // cuts into the TCP header

        length = Packets.ipv6Udp(buf, 0, V6_A, V6_B, 1, 2, 3, 0, extensionChain());
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(packet.resize(length + 100)).isEqualTo(WireError.OK);
        assertThat(packet.ipv6().payloadLength()).isEqualTo(length + 100 - 40);
        assertThat(packet.udp().length()).isEqualTo(8 + 3 + 100);
        assertThat(packet.udp().checksum()).isEqualTo(Checksums.transport(buf, packet));
    }

    @Test
    void resizeRefusesImpossibleLengths() {
        int length = Packets.ipv4Udp(buf, 0, 1, 2, 3, 4, 0);
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(packet.resize(19)).isEqualTo(WireError.INNER_LENGTH_MISMATCH);
        assertThat(packet.resize(buf.limit() + 1)).isEqualTo(WireError.INNER_LENGTH_MISMATCH);
        assertThat(packet.wrap(buf, 0, 3)).isNotEqualTo(WireError.OK);
        assertThat(packet.resize(length)).isEqualTo(WireError.BAD_IP_VERSION); // nothing valid to resize
    }
}
