package io.astaire.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded random and mutated datagrams through every decoder: each must give a valid view or a
 * WireError, never an exception, and a valid view must never point outside its region. The
 * buffer's limit is set to the end of the datagram, so any read past it throws and fails the test.
 */
class RandomisedDecodeTest {

    private static final long SEED = 0x5EED_A57A_12EL;
    private static final int ROUNDS = 120_000;

    private final GpeNshPacket datagram = new GpeNshPacket();
    private final InnerPacket inner = new InnerPacket();
    private final NshHeader nsh = new NshHeader();
    private final VxlanGpeHeader gpe = new VxlanGpeHeader();
    private final FlowKey key = new FlowKey();
    private final Map<WireError, Integer> datagramResults = new EnumMap<>(WireError.class);
    private final Map<WireError, Integer> innerResults = new EnumMap<>(WireError.class);

    @Test
    void everyDecoderSurvivesRandomAndMutatedInput() {
        SplittableRandom random = new SplittableRandom(SEED);
        ByteBuffer buf = ByteBuffer.allocate(4096);
        for (int round = 0; round < ROUNDS; round++) {
            buf.clear();
            int offset = random.nextInt(64);
            int length;
            int kind = round % 4;
            if (kind == 0) {
                length = randomBytes(random, buf, offset);
            } else {
                length = validDatagram(random, buf, offset);
                if (kind == 1) {
                    length = flipBits(random, buf, offset, length);
                } else if (kind == 2) {
                    length = random.nextInt(length + 1); // truncation
                } else {
                    lieAboutALength(random, buf, offset, length);
                }
            }
            buf.limit(offset + length);
            try {
                decodeAll(buf, offset, length, random);
            } catch (RuntimeException e) {
                fail("round " + round + " kind " + kind + ": " + Packets.hex(buf, offset, length), e);
            }
        }
        // The mix must exercise both the accepting and the refusing paths, with many reasons.
        assertThat(datagramResults.getOrDefault(WireError.OK, 0)).isGreaterThan(ROUNDS / 10);
        assertThat(innerResults.getOrDefault(WireError.OK, 0)).isGreaterThan(ROUNDS / 10);
        assertThat(datagramResults.keySet()).contains(WireError.TRUNCATED, WireError.BAD_GPE_VERSION,
            WireError.BAD_GPE_FLAGS, WireError.GPE_NOT_NSH, WireError.BAD_VERSION, WireError.BAD_LENGTH,
            WireError.UNKNOWN_MD_TYPE, WireError.TLV_OVERRUN, WireError.UNKNOWN_NEXT_PROTOCOL);
        assertThat(innerResults.keySet()).contains(WireError.INNER_TRUNCATED, WireError.INNER_LENGTH_MISMATCH,
            WireError.BAD_IP_VERSION, WireError.BAD_IP_HEADER_LENGTH, WireError.BAD_EXTENSION_HEADER,
            WireError.BAD_L4_HEADER);
    }

    private void decodeAll(ByteBuffer buf, int offset, int length, SplittableRandom random) {
        int end = offset + length;
        // The sub-decoders on their own, at the start and at a random point.
        gpe.wrap(buf, offset).validate(length);
        int at = offset + (length == 0 ? 0 : random.nextInt(length));
        if (nsh.wrap(buf, at).validate(end - at) == WireError.OK) {
            checkNsh(end);
        }
        if (inner.wrap(buf, at, end - at) == WireError.OK) {
            checkInner(at, end - at);
        }

        WireError error = datagram.wrap(buf, offset, length);
        datagramResults.merge(error, 1, Integer::sum);
        if (error != WireError.OK) {
            return;
        }
        assertThat(datagram.innerOffset()).isBetween(offset + 16, end);
        assertThat(datagram.innerOffset() + datagram.innerLength()).isEqualTo(end);
        assertThat(datagram.headerLength()).isEqualTo(8 + datagram.nsh().lengthBytes());
        datagram.gpe().vni();
        datagram.gpe().oBit();
        nsh.wrap(buf, datagram.nsh().offset());
        checkNsh(end);

        WireError innerError = inner.wrap(buf, datagram.innerOffset(), datagram.innerLength(),
            datagram.nsh().nextProtocol());
        innerResults.merge(innerError, 1, Integer::sum);
        if (innerError == WireError.OK) {
            checkInner(datagram.innerOffset(), datagram.innerLength());
        }
    }

    private void checkNsh(int end) {
        int nshEnd = nsh.offset() + nsh.lengthBytes();
        assertThat(nshEnd).isLessThanOrEqualTo(end);
        assertThat(nsh.version()).isZero();
        assertThat(nsh.mdType()).isBetween(1, 2);
        nsh.spi();
        nsh.si();
        nsh.ttl();
        if (nsh.mdType() == 1) {
            assertThat(nsh.lengthBytes()).isEqualTo(24);
            nsh.md1Context(3);
        }
        int walked = 0;
        for (int tlv = nsh.firstTlv(); tlv >= 0; tlv = nsh.nextTlv(tlv)) {
            assertThat(tlv).isBetween(nsh.offset() + 8, nshEnd - 4);
            assertThat(nsh.tlvValueOffset(tlv) + nsh.tlvLength(tlv)).isLessThanOrEqualTo(nshEnd);
            nsh.tlvClass(tlv);
            nsh.tlvType(tlv);
            walked++;
            assertThat(walked).isLessThanOrEqualTo(63);
        }
    }

    private void checkInner(int offset, int length) {
        int end = offset + length;
        assertThat(inner.version()).isIn(4, 6);
        assertThat(inner.totalLength()).isEqualTo(length);
        assertThat(inner.l4Offset()).isBetween(offset + (inner.version() == 4 ? 20 : 40), end);
        assertThat(inner.headerLength() + inner.l4Length()).isEqualTo(length);
        if (inner.isTcp()) {
            assertThat(inner.l4Offset() + inner.tcp().headerLength()).isLessThanOrEqualTo(end);
        }
        if (inner.isUdp()) {
            assertThat(inner.l4Offset() + 8).isLessThanOrEqualTo(end);
        }
        if (inner.isIcmp()) {
            assertThat(inner.l4Offset() + 8).isLessThanOrEqualTo(end);
            inner.icmpType();
            inner.icmpCode();
        }
        inner.sourcePort();
        inner.destinationPort();
        inner.ttl();
        inner.dscp();
        inner.copySourceAddress(new byte[16]);
        key.from(inner).symmetricHash();
        Checksums.transport(inner.buffer(), inner);
        Checksums.icmp(inner.buffer(), inner);
        if (inner.version() == 4) {
            Checksums.ipv4Header(inner.buffer(), offset, inner.ipv4().headerLength());
        }
        // Setters and resize on a valid view stay inside it (values unchanged, so the view stays valid).
        inner.sourcePort(inner.sourcePort()).destinationPort(inner.destinationPort()).ttl(inner.ttl())
            .dscp(inner.dscp()).ipv4Source(inner.ipv4Source());
        assertThat(inner.resize(length)).isEqualTo(WireError.OK);
        assertThat(inner.totalLength()).isEqualTo(length);
    }

    private static int randomBytes(SplittableRandom random, ByteBuffer buf, int offset) {
        int length = random.nextInt(200);
        for (int i = 0; i < length; i++) {
            buf.put(offset + i, (byte) random.nextInt(256));
        }
        // Often make it look like VXLAN-GPE + NSH so the random bytes reach deeper decoders.
        if (length >= 16 && random.nextBoolean()) {
            buf.put(offset, (byte) 0x0C);
            buf.put(offset + 3, (byte) 4);
            buf.put(offset + 8, (byte) (buf.get(offset + 8) & 0x3F));
            buf.put(offset + 10, (byte) (1 + random.nextInt(2)));
        }
        return length;
    }

    /** A correct datagram: GPE + NSH (MD1, or MD2 with 0..5 TLVs) + an IPv4/IPv6 TCP/UDP/ICMP packet. */
    private static int validDatagram(SplittableRandom random, ByteBuffer buf, int offset) {
        int innerOffset = offset + GpeNshPacket.MAX_HEADROOM;
        boolean v6 = random.nextBoolean();
        int payload = random.nextInt(64);
        int innerLength;
        int protocol = random.nextInt(3);
        int src = random.nextInt();
        int dst = random.nextInt();
        long[] a = {random.nextLong(), random.nextLong()};
        long[] b = {random.nextLong(), random.nextLong()};
        int sport = random.nextInt(65536);
        int dport = random.nextInt(65536);
        if (!v6) {
            innerLength = switch (protocol) {
                case 0 -> Packets.ipv4Udp(buf, innerOffset, src, dst, sport, dport, payload);
                case 1 -> Packets.ipv4Tcp(buf, innerOffset, src, dst, sport, dport, 4 * random.nextInt(11), payload);
                default -> Packets.ipv4IcmpEcho(buf, innerOffset, src, dst, sport, dport, payload);
            };
        } else {
            boolean extensions = random.nextBoolean();
            innerLength = switch (protocol) {
                case 0 -> Packets.ipv6Udp(buf, innerOffset, a, b, sport, dport, payload, extensions ? 0 : 17,
                    extensions ? InnerPacketTest.extensionChain() : new byte[0]);
                case 1 -> Packets.ipv6Tcp(buf, innerOffset, a, b, sport, dport, payload);
                default -> Packets.ipv6IcmpEcho(buf, innerOffset, a, b, sport, dport);
            };
        }
        int next = v6 ? NshHeader.NEXT_PROTOCOL_IPV6 : NshHeader.NEXT_PROTOCOL_IPV4;
        int spi = random.nextInt(1 << 24);
        int si = random.nextInt(256);
        int ttl = random.nextInt(64);
        int start;
        if (random.nextBoolean()) {
            start = GpeNshPacket.encapsulateMd1(buf, innerOffset, innerLength, spi, si, ttl, next);
        } else {
            ByteBuffer tlvs = ByteBuffer.allocate(256);
            NshHeader builder = new NshHeader().wrap(tlvs, 0).writeMd2(0, 0, 0, 0);
            int count = random.nextInt(6);
            for (int i = 0; i < count; i++) {
                builder.appendTlv(random.nextInt(65536), random.nextInt(256), tlvs, 128, random.nextInt(33));
            }
            start = GpeNshPacket.encapsulateMd2(buf, innerOffset, innerLength, spi, si, ttl, next, tlvs, 8,
                builder.lengthBytes() - 8);
        }
        int length = innerOffset + innerLength - start;
        // Move the datagram to the requested offset so the region starts where the caller wants.
        buf.put(offset, buf.duplicate(), start, length);
        return length;
    }

    private static int flipBits(SplittableRandom random, ByteBuffer buf, int offset, int length) {
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) {
            // Mostly in the headers, where the decisions are.
            int at = offset + (random.nextInt(4) == 0 ? random.nextInt(length) : random.nextInt(Math.min(length, 120)));
            buf.put(at, (byte) (buf.get(at) ^ (1 << random.nextInt(8))));
        }
        return length;
    }

    /** Rewrites one length field of a valid datagram with a random value. */
    private static void lieAboutALength(SplittableRandom random, ByteBuffer buf, int offset, int length) {
        int nsh = offset + 8;
        int nshLength = (buf.get(nsh + 1) & 0x3F) * 4;
        int ip = nsh + nshLength;
        boolean v4 = ((buf.get(ip) >> 4) & 0xF) == 4;
        int l4 = v4 ? ip + (buf.get(ip) & 0xF) * 4 : ip + 40;
        switch (random.nextInt(7)) {
            case 0 -> buf.put(nsh + 1, (byte) ((buf.get(nsh + 1) & 0xC0) | random.nextInt(64)));
            case 1 -> {
                if (nshLength > 8) {
                    int tlv = nsh + 8;
                    buf.put(tlv + 3, (byte) random.nextInt(256));
                }
            }
            case 2 -> {
                if (v4) {
                    buf.putShort(ip + 2, (short) random.nextInt(65536));
                } else {
                    buf.putShort(ip + 4, (short) random.nextInt(65536));
                }
            }
            case 3 -> {
                if (v4) {
                    buf.put(ip, (byte) (0x40 | random.nextInt(16)));
                } else if (buf.get(ip + 6) == 0) {
                    buf.put(ip + 41, (byte) random.nextInt(256)); // hop-by-hop length
                }
            }
            case 4 -> {
                if (l4 + 6 <= offset + length) {
                    buf.putShort(l4 + 4, (short) random.nextInt(65536)); // UDP length (or TCP sequence)
                }
            }
            case 5 -> {
                if (l4 + 13 <= offset + length) {
                    buf.put(l4 + 12, (byte) (random.nextInt(16) << 4)); // TCP data offset
                }
            }
            default -> {
                if (v4 == random.nextBoolean()) {
                    buf.put(ip, (byte) ((random.nextInt(16) << 4) | (buf.get(ip) & 0xF))); // IP version
                } else {
                    buf.put(nsh + 3, (byte) random.nextInt(8)); // NSH next protocol
                }
            }
        }
    }
}
