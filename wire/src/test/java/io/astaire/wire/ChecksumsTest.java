package io.astaire.wire;

import static io.astaire.wire.Packets.fromHex;
import static io.astaire.wire.Packets.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ChecksumsTest {

    @Test
    void rfc1071Example() {
        // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is its complement.
        ByteBuffer buf = fromHex("0001f203f4f5f6f7");
        assertThat(Checksums.finish(Checksums.partialSum(buf, 0, 8, 0))).isEqualTo(~0xddf2 & 0xFFFF);
    }

    @Test
    void wideLoadsSumLikeSixteenBitWordsAtEveryOffsetAndLength() {
        // The sum reads 8 bytes at a time with 4- and 2-byte tails: compare it with the textbook
        // 16-bit loop on random bytes (0xFF-heavy too, so carries pile up) at every alignment.
        SplittableRandom random = new SplittableRandom(1071);
        ByteBuffer direct = ByteBuffer.allocateDirect(70_000);
        for (int round = 0; round < 3_000; round++) {
            boolean ones = round % 3 == 0;
            int length = round < 200 ? round : random.nextInt(66_000);
            int offset = random.nextInt(7);
            for (int i = 0; i < offset + length + 1; i++) {
                direct.put(i, ones ? (byte) 0xFF : (byte) random.nextInt(256));
            }
            long initial = random.nextInt(0x1_0000);
            long expected = initial;
            for (int i = 0; i + 1 < length; i += 2) {
                expected += ((direct.get(offset + i) & 0xFF) << 8) | (direct.get(offset + i + 1) & 0xFF);
            }
            if ((length & 1) == 1) {
                expected += (direct.get(offset + length - 1) & 0xFF) << 8;
            }
            assertThat(Checksums.finish(Checksums.partialSum(direct, offset, length, initial)))
                    .as("offset %d, length %d", offset, length).isEqualTo(Checksums.finish(expected));
        }
    }

    @Test
    void oddLengthIsPaddedWithZero() {
        ByteBuffer buf = fromHex("0102 03");
        assertThat(Checksums.finish(Checksums.partialSum(buf, 0, 3, 0))).isEqualTo(~(0x0102 + 0x0300) & 0xFFFF);
    }

    @Test
    void knownIpv4HeaderChecksum() {
        // A widely quoted example header: 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7.
        ByteBuffer buf = fromHex("45000073000040004011b861c0a80001c0a800c7");
        assertThat(Checksums.ipv4Header(buf, 0, 20)).isEqualTo(0xb861);
        assertThat(Checksums.verifyIpv4Header(buf, 0, 20)).isTrue();
        buf.put(8, (byte) 0x3f);
        assertThat(Checksums.verifyIpv4Header(buf, 0, 20)).isFalse();
    }

    @Test
    void knownUdpChecksumOverIpv4() {
        // 10.0.0.1 -> 10.0.0.2, UDP 1234 -> 53, no payload. By hand: pseudo-header
        // 0a00+0001+0a00+0002+0011+0008 = 141c, header 04d2+0035+0008 = 050f, sum 192b, ~ = e6d4.
        ByteBuffer buf = ByteBuffer.allocate(28);
        Packets.ipv4Header(buf, 0, 20, 28, 17, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2));
        buf.putShort(20, (short) 1234).putShort(22, (short) 53).putShort(24, (short) 8).putShort(26, (short) 0x7777);
        InnerPacket packet = new InnerPacket();
        assertThat(packet.wrap(buf, 0, 28)).isEqualTo(WireError.OK);
        assertThat(Checksums.transport(buf, packet)).isEqualTo(0xe6d4);
    }

    @Test
    void knownIcmpEchoChecksum() {
        // Echo request id 1 seq 1 no data: 0800 0000 0001 0001 -> sum 0802 -> f7fd.
        ByteBuffer buf = ByteBuffer.allocate(28);
        Packets.ipv4Header(buf, 0, 20, 28, 1, 1, 2);
        buf.putLong(20, 0x0800_0000_0001_0001L);
        InnerPacket packet = new InnerPacket();
        assertThat(packet.wrap(buf, 0, 28)).isEqualTo(WireError.OK);
        assertThat(Checksums.icmp(buf, packet)).isEqualTo(0xf7fd);
    }

    @Test
    void rfc1624Example() {
        // RFC 1624 section 4: HC 0xDD2F, m 0x5555 -> m' 0x3285 gives 0x0000 with eqn. 3.
        assertThat(Checksums.incrementalUpdate(0xDD2F, 0x5555, 0x3285)).isEqualTo(0x0000);
    }

    @Test
    void incrementalUpdateAgreesWithARecomputeOnRandomHeaders() {
        SplittableRandom random = new SplittableRandom(1624);
        ByteBuffer buf = ByteBuffer.allocate(20);
        for (int i = 0; i < 20_000; i++) {
            for (int b = 0; b < 20; b += 4) {
                buf.putInt(b, random.nextInt());
            }
            buf.put(0, (byte) 0x45);
            buf.putShort(10, (short) Checksums.ipv4Header(buf, 0, 20));
            int word = 2 * random.nextInt(10);
            if (word == 10) {
                continue;
            }
            int oldWord = buf.getShort(word) & 0xFFFF;
            int newWord = random.nextInt(0x10000);
            buf.putShort(word, (short) newWord);
            int updated = Checksums.incrementalUpdate(buf.getShort(10) & 0xFFFF, oldWord, newWord);
            buf.putShort(10, (short) updated);
            assertThat(Checksums.verifyIpv4Header(buf, 0, 20)).as("round %d", i).isTrue();
        }
    }

    @Test
    void incrementalUpdate32ChangesAnAddress() {
        ByteBuffer buf = fromHex("45000073000040004011b861c0a80001c0a800c7");
        int old = buf.getInt(12);
        int fresh = ipv4(203, 0, 113, 9);
        buf.putInt(12, fresh);
        int updated = Checksums.incrementalUpdate32(0xb861, old, fresh);
        assertThat(updated).isEqualTo(Checksums.ipv4Header(buf, 0, 20));
    }

    @Test
    void transportChecksumsOverIpv6IncludeThePseudoHeader() {
        ByteBuffer buf = ByteBuffer.allocate(200);
        long[] a = {0x20010db800000000L, 1L};
        long[] b = {0x20010db800000000L, 2L};
        int length = Packets.ipv6Tcp(buf, 0, a, b, 1, 2, 11);
        InnerPacket packet = new InnerPacket();
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        // A correct checksum makes the sum over pseudo-header + segment fold to 0xFFFF (finish() == 0).
        long sum = Checksums.pseudoHeader(buf, packet, packet.l4Length());
        assertThat(Checksums.finish(Checksums.partialSum(buf, packet.l4Offset(), packet.l4Length(), sum))).isZero();
        // Changing an address breaks it; the pseudo-header is really in the sum.
        buf.put(39, (byte) 3);
        sum = Checksums.pseudoHeader(buf, packet, packet.l4Length());
        assertThat(Checksums.finish(Checksums.partialSum(buf, packet.l4Offset(), packet.l4Length(), sum))).isNotZero();
    }

    @Test
    void udpChecksumNeverComputesToZero() {
        // Find a UDP packet whose checksum would be 0 and check it is sent as 0xFFFF.
        ByteBuffer buf = ByteBuffer.allocate(30);
        InnerPacket packet = new InnerPacket();
        Packets.ipv4Header(buf, 0, 20, 30, 17, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2));
        buf.putShort(20, (short) 1).putShort(22, (short) 2).putShort(24, (short) 10).putShort(26, (short) 0);
        buf.putShort(28, (short) 0);
        assertThat(packet.wrap(buf, 0, 30)).isEqualTo(WireError.OK);
        int checksum = Checksums.transport(buf, packet);
        // Choose the payload word so that the whole sum becomes 0xFFFF, i.e. a computed 0.
        buf.putShort(28, (short) checksum);
        assertThat(Checksums.transport(buf, packet)).isEqualTo(0xFFFF);
    }

    @Test
    void nonTransportPacketsHaveNoTransportChecksum() {
        ByteBuffer buf = ByteBuffer.allocate(28);
        int length = Packets.ipv4IcmpEcho(buf, 0, 1, 2, 3, 4, 0);
        InnerPacket packet = new InnerPacket();
        assertThat(packet.wrap(buf, 0, length)).isEqualTo(WireError.OK);
        assertThat(Checksums.transport(buf, packet)).isEqualTo(-1);
        int udp = Packets.ipv4Udp(buf, 0, 1, 2, 3, 4, 0);
        assertThat(packet.wrap(buf, 0, udp)).isEqualTo(WireError.OK);
        assertThat(Checksums.icmp(buf, packet)).isEqualTo(-1);
    }
}
