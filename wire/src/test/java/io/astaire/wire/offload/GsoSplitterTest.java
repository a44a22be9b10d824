package io.astaire.wire.offload;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.wire.Checksums;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * TSO/USO super-packets as the kernel hands them to a TUN reader (virtio_net_hdr, pseudo-header
 * sum in the checksum field) are cut into segments that are byte for byte the packets a sender
 * would have built one by one, each with valid checksums; single packets get their partial
 * checksum completed.
 */
class GsoSplitterTest {

    private static final long SEED = 0x6501_5EEDL;
    private static final int VNET_AT = 7; // deliberately unaligned

    private final GsoSplitter splitter = new GsoSplitter();
    private final InnerPacket view = new InnerPacket();
    private final ByteBuffer in = ByteBuffer.allocateDirect(VNET_AT + VirtioNetHeader.LENGTH + 70_000);
    private final ByteBuffer out = ByteBuffer.allocate(70_000);
    private final ByteBuffer expected = ByteBuffer.allocate(70_000);

    @Test
    void cutsRandomTcpSuperPacketsIntoTheSegmentsASenderWouldBuild() {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int round = 0; round < 600; round++) {
            TestPacket packet = randomTcp(random);
            int gsoSize = randomGsoSize(random, packet);
            boolean ecn = (packet.flags & 0x80) != 0;
            int gsoType = (packet.version == 4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6)
                | (ecn ? VirtioNetHeader.GSO_ECN : 0);
            assertCutAsSenderWould(packet, gsoType, gsoSize, random, "round " + round);
        }
    }

    @Test
    void cutsRandomUdpSuperPacketsIntoDatagrams() {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        for (int round = 0; round < 400; round++) {
            TestPacket packet = randomTcp(random);
            packet.protocol = TestPacket.UDP;
            packet.tcpOptions = new byte[0];
            int gsoSize = randomGsoSize(random, packet);
            assertCutAsSenderWould(packet, VirtioNetHeader.GSO_UDP_L4, gsoSize, random, "round " + round);
        }
    }

    @Test
    void exactMultiplesGiveEqualSegmentsAndARemainderGivesAShortLastOne() {
        TestPacket packet = new TestPacket().payload(TestPacket.randomBytes(new SplittableRandom(3), 3001), 0, 3000);
        packet.flags = TestPacket.ACK | TestPacket.PSH;
        assertThat(prepare(packet, VirtioNetHeader.GSO_TCPV4, 1000)).isEqualTo(3);
        assertThat(splitter.maxSegmentLength()).isEqualTo(40 + 1000);
        assertThat(splitter.segmentLength(2)).isEqualTo(1040);
        assertCutAsSenderWould(packet, VirtioNetHeader.GSO_TCPV4, 1000, new SplittableRandom(1), "exact");

        packet.payloadLength = 3001;
        assertThat(prepare(packet, VirtioNetHeader.GSO_TCPV4, 1000)).isEqualTo(4);
        assertThat(splitter.segmentLength(3)).isEqualTo(41);
        assertThat(splitter.segmentLength(4)).isEqualTo(-1);
        assertCutAsSenderWould(packet, VirtioNetHeader.GSO_TCPV4, 1000, new SplittableRandom(1), "remainder");
    }

    @Test
    void gsoSizeOneAndGsoSizeOfTheWholePayload() {
        TestPacket packet = new TestPacket().payload(TestPacket.randomBytes(new SplittableRandom(4), 300), 0, 300);
        packet.version = 6;
        packet.extensions = new int[] {0, 60};
        assertThat(prepare(packet, VirtioNetHeader.GSO_TCPV6, 1)).isEqualTo(300);
        assertCutAsSenderWould(packet, VirtioNetHeader.GSO_TCPV6, 1, new SplittableRandom(1), "gso 1");
        assertThat(prepare(packet, VirtioNetHeader.GSO_TCPV6, 300)).isEqualTo(1);
        assertCutAsSenderWould(packet, VirtioNetHeader.GSO_TCPV6, 300, new SplittableRandom(1), "gso all");
    }

    @Test
    void aSixtyFourKilobyteSuperPacketIsCut() {
        TestPacket packet = new TestPacket();
        packet.version = 6;
        packet.tcpOptions = new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
        int payload = GsoSplitter.MAX_PACKET_LENGTH - packet.headersLength();
        packet.payload(TestPacket.randomBytes(new SplittableRandom(5), payload), 0, payload);
        assertThat(prepare(packet, VirtioNetHeader.GSO_TCPV6, 65000)).isEqualTo(2);
        assertCutAsSenderWould(packet, VirtioNetHeader.GSO_TCPV6, 1428, new SplittableRandom(1), "64k");
    }

    @Test
    void completesThePartialChecksumOfASinglePacket() {
        SplittableRandom random = new SplittableRandom(SEED + 2);
        for (int round = 0; round < 400; round++) {
            TestPacket packet = randomTcp(random);
            if (random.nextBoolean()) {
                packet.protocol = TestPacket.UDP;
                packet.tcpOptions = new byte[0];
            }
            packet.payloadLength = Math.min(packet.payloadLength, 9000);
            int length = packet.copy().write(expected, 0);
            packet.partialChecksum = true;
            int n = prepareWithHeader(packet, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0,
                packet.ipHeaderLength(), packet.protocol == TestPacket.TCP ? 16 : 6, packet.headersLength());
            assertThat(n).as("round %d: %s", round, splitter.error()).isEqualTo(1);
            assertThat(splitter.maxSegmentLength()).isEqualTo(length);
            assertThat(splitter.writeSegment(0, out, 3)).isEqualTo(length);
            assertSameBytes(out, 3, expected, 0, length, "round " + round);
            assertThat(splitter.completeInPlace()).isEqualTo(length);
            assertSameBytes(in, splitter.packetOffset(), expected, 0, length, "in place, round " + round);
        }
    }

    @Test
    void copiesAPacketWithoutOffloadAsItIs() {
        TestPacket packet = new TestPacket().payload(new byte[100], 0, 100);
        packet.protocol = TestPacket.UDP;
        int length = packet.write(expected, 0);
        for (int flags : new int[] {0, VirtioNetHeader.F_DATA_VALID}) {
            assertThat(prepareWithHeader(packet, flags, VirtioNetHeader.GSO_NONE, 0, 0, 0, 0)).isEqualTo(1);
            assertThat(splitter.writeSegment(0, out, 0)).isEqualTo(length);
            assertSameBytes(out, 0, expected, 0, length, "flags " + flags);
        }
    }

    @Test
    void aSuperPacketOfOneSegmentIsCompletedInPlace() {
        TestPacket packet = new TestPacket().payload(TestPacket.randomBytes(new SplittableRandom(6), 500), 0, 500);
        int length = packet.copy().write(expected, 0);
        assertThat(prepare(packet, VirtioNetHeader.GSO_TCPV4, 1448)).isEqualTo(-1); // gso_size beyond the payload
        assertThat(prepare(packet, VirtioNetHeader.GSO_TCPV4, 500)).isEqualTo(1);
        assertThat(splitter.completeInPlace()).isEqualTo(length);
        assertSameBytes(in, splitter.packetOffset(), expected, 0, length, "in place");
        assertThat(prepare(packet, VirtioNetHeader.GSO_TCPV4, 250)).isEqualTo(2);
        assertThat(splitter.completeInPlace()).isEqualTo(-1);
    }

    @Test
    void refusesToWriteASegmentWhereItDoesNotFit() {
        TestPacket packet = new TestPacket().payload(new byte[2000], 0, 2000);
        assertThat(prepare(packet, VirtioNetHeader.GSO_TCPV4, 1000)).isEqualTo(2);
        ByteBuffer small = ByteBuffer.allocate(1100);
        assertThat(splitter.writeSegment(0, small, 100)).isEqualTo(-1);
        assertThat(splitter.error()).isEqualTo(OffloadError.NO_ROOM);
        assertThat(small.array()).containsOnly(0);
        assertThat(splitter.writeSegment(0, small, -1)).isEqualTo(-1);
        assertThat(splitter.writeSegment(0, small, 60)).isEqualTo(1040);
        assertThat(splitter.writeSegment(2, small, 0)).isEqualTo(-1);
    }

    /** A random TCP packet: IPv4 (maybe with options for NEEDS_CSUM cases) or IPv6 (maybe with extensions). */
    static TestPacket randomTcp(SplittableRandom random) {
        TestPacket packet = new TestPacket();
        packet.version = random.nextBoolean() ? 4 : 6;
        if (packet.version == 6 && random.nextBoolean()) {
            packet.extensions = random.nextBoolean() ? new int[] {0} : new int[] {0, 60};
        }
        if (packet.version == 4 && random.nextInt(4) == 0) {
            packet.ipv4OptionBytes = 4 * (1 + random.nextInt(3));
        }
        packet.tos = random.nextInt(256);
        packet.flowLabel = random.nextInt(1 << 20);
        packet.ttl = 1 + random.nextInt(255);
        packet.identification = random.nextInt(1 << 16);
        packet.sourcePort = random.nextInt(1 << 16);
        packet.destinationPort = random.nextInt(1 << 16);
        packet.sequence = random.nextInt();
        packet.acknowledgement = random.nextInt();
        packet.window = random.nextInt(1 << 16);
        packet.flags = TestPacket.ACK | (random.nextBoolean() ? TestPacket.PSH : 0)
            | (random.nextInt(4) == 0 ? 0x01 : 0) | (random.nextInt(4) == 0 ? 0x80 : 0);
        packet.tcpOptions = TestPacket.randomTcpOptions(random);
        int room = GsoSplitter.MAX_PACKET_LENGTH - packet.headersLength() - (packet.version == 4 ? 1 : 0);
        int payload = random.nextInt(3) == 0 ? 1 + random.nextInt(room) : 1 + random.nextInt(Math.min(room, 4000));
        packet.payload(TestPacket.randomBytes(random, payload), 0, payload);
        return packet;
    }

    static int randomGsoSize(SplittableRandom random, TestPacket packet) {
        int payload = packet.payloadLength;
        return switch (random.nextInt(6)) {
            case 0 -> payload <= 3000 ? 1 : 1 + random.nextInt(8);
            case 1 -> payload; // one segment
            case 2 -> exactDivisor(random, payload);
            case 3 -> Math.max(1, payload - 1); // large: a last segment of one byte
            default -> 1 + random.nextInt(Math.min(payload, 9000));
        };
    }

    private static int exactDivisor(SplittableRandom random, int payload) {
        for (int tries = 0; tries < 20; tries++) {
            int segments = 1 + random.nextInt(Math.min(payload, 64));
            if (payload % segments == 0) {
                return payload / segments;
            }
        }
        return payload;
    }

    private int prepare(TestPacket packet, int gsoType, int gsoSize) {
        TestPacket partial = packet.copy();
        partial.partialChecksum = true;
        return prepareWithHeader(partial, VirtioNetHeader.F_NEEDS_CSUM, gsoType, gsoSize, partial.ipHeaderLength(),
            partial.protocol == TestPacket.TCP ? 16 : 6, partial.headersLength());
    }

    private int prepareWithHeader(TestPacket packet, int flags, int gsoType, int gsoSize, int csumStart,
                                  int csumOffset, int hdrLen) {
        in.clear();
        int length = packet.write(in, VNET_AT + VirtioNetHeader.LENGTH);
        new VirtioNetHeader().wrap(in, VNET_AT).flags(flags).gsoType(gsoType).gsoSize(gsoSize)
            .csumStart(csumStart).csumOffset(csumOffset).hdrLen(hdrLen);
        return splitter.prepare(in, VNET_AT, length);
    }

    private void assertCutAsSenderWould(TestPacket packet, int gsoType, int gsoSize, SplittableRandom random,
                                        String what) {
        int payload = packet.payloadLength;
        int segments = (payload + gsoSize - 1) / gsoSize;
        TestPacket partial = packet.copy();
        partial.partialChecksum = true;
        // The kernel's hdr_len may be the whole linear part, not just the headers: it must not matter.
        int hdrLen = partial.headersLength() + (random.nextBoolean() ? 0 : random.nextInt(payload + 1));
        int n = prepareWithHeader(partial, VirtioNetHeader.F_NEEDS_CSUM, gsoType, gsoSize, partial.ipHeaderLength(),
            partial.protocol == TestPacket.TCP ? 16 : 6, hdrLen);
        assertThat(n).as("%s: %s", what, splitter.error()).isEqualTo(segments);
        assertThat(splitter.maxSegmentLength()).isEqualTo(packet.headersLength() + gsoSize);
        int seen = 0;
        for (int k = 0; k < segments; k++) {
            int at = random.nextInt(64);
            int length = splitter.writeSegment(k, out, at);
            TestPacket segment = expectedSegment(packet, k, segments, gsoSize);
            int expectedLength = segment.write(expected, 0);
            assertThat(length).as("%s segment %d", what, k).isEqualTo(expectedLength)
                .isLessThanOrEqualTo(splitter.maxSegmentLength());
            assertSameBytes(out, at, expected, 0, length, what + " segment " + k);
            assertValidChecksums(out, at, length, what + " segment " + k);
            seen += segment.payloadLength;
        }
        assertThat(seen).isEqualTo(payload);
    }

    /** What a sender would have sent as segment k: the rules of the kernel's tcp_gso_segment / udp4_ufo. */
    private static TestPacket expectedSegment(TestPacket packet, int k, int segments, int gsoSize) {
        TestPacket segment = packet.copy();
        segment.partialChecksum = false;
        segment.identification = (packet.identification + k) & 0xFFFF;
        segment.payloadOffset = packet.payloadOffset + k * gsoSize;
        segment.payloadLength = Math.min(gsoSize, packet.payloadLength - k * gsoSize);
        if (packet.protocol == TestPacket.TCP) {
            segment.sequence = packet.sequence + k * gsoSize;
            if (k > 0) {
                segment.flags &= ~0x80;
            }
            if (k < segments - 1) {
                segment.flags &= ~(0x01 | TestPacket.PSH);
            }
        }
        return segment;
    }

    private void assertValidChecksums(ByteBuffer buf, int at, int length, String what) {
        assertThat(view.wrap(buf, at, length)).as(what).isEqualTo(WireError.OK);
        if (view.version() == 4) {
            assertThat(Checksums.verifyIpv4Header(buf, at, view.headerLength())).as(what).isTrue();
        }
        long sum = Checksums.pseudoHeader(buf, view, view.l4Length());
        assertThat(Checksums.finish(Checksums.partialSum(buf, view.l4Offset(), view.l4Length(), sum)))
            .as("%s transport checksum", what).isZero();
    }

    static void assertSameBytes(ByteBuffer actual, int actualAt, ByteBuffer expected, int expectedAt, int length,
                                String what) {
        for (int i = 0; i < length; i++) {
            if (actual.get(actualAt + i) != expected.get(expectedAt + i)) {
                throw new AssertionError(what + ": first difference at byte " + i + " of " + length + ": "
                    + (actual.get(actualAt + i) & 0xFF) + " instead of " + (expected.get(expectedAt + i) & 0xFF));
            }
        }
    }
}
