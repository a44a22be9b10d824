package io.astaire.wire.offload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.astaire.wire.Checksums;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A virtio_net_hdr that does not add up with its packet is refused with a named reason, never an
 * exception; and whatever the splitter accepts, however mutated, it cuts into valid packets
 * without reading past the input or writing outside the destination region.
 */
class GsoSplitterMalformedTest {

    private static final int VNET_AT = 3;
    private static final int ROUNDS = 100_000;
    private static final byte GUARD = 0x5A;

    private final GsoSplitter splitter = new GsoSplitter();
    private final ByteBuffer in = ByteBuffer.allocate(80_000);
    private final VirtioNetHeader vnet = new VirtioNetHeader();
    private int length;

    /** A valid TSO4 packet of 3000 payload bytes cut at 1000, ready in {@link #in}. */
    private TestPacket tcp4() {
        TestPacket packet = new TestPacket().payload(new byte[3000], 0, 3000);
        packet.tcpOptions = new byte[] {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
        return packet;
    }

    private VirtioNetHeader write(TestPacket packet, int gsoType, int gsoSize) {
        in.clear();
        packet.partialChecksum = true;
        length = packet.write(in, VNET_AT + VirtioNetHeader.LENGTH);
        return vnet.wrap(in, VNET_AT).flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(gsoType).gsoSize(gsoSize)
            .hdrLen(packet.headersLength()).csumStart(packet.ipHeaderLength())
            .csumOffset(packet.protocol == TestPacket.TCP ? 16 : 6);
    }

    private OffloadError prepared() {
        return prepared(length);
    }

    private OffloadError prepared(int packetLength) {
        int n = splitter.prepare(in, VNET_AT, packetLength);
        assertThat(n < 0).isEqualTo(splitter.error() != OffloadError.OK);
        return splitter.error();
    }

    @Test
    void theValidBaseIsAccepted() {
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000);
        assertThat(prepared()).isEqualTo(OffloadError.OK);
        assertThat(splitter.segmentCount()).isEqualTo(3);
    }

    @Test
    void gsoSizeZeroOrBeyondThePayload() {
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 0);
        assertThat(prepared()).isEqualTo(OffloadError.GSO_SIZE_INVALID);
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 3001);
        assertThat(prepared()).isEqualTo(OffloadError.GSO_SIZE_INVALID);
        assertThat(splitter.error().label()).isEqualTo("vnet_gso_size_invalid");
        TestPacket empty = tcp4();
        empty.payloadLength = 0;
        write(empty, VirtioNetHeader.GSO_TCPV4, 1);
        assertThat(prepared()).isEqualTo(OffloadError.GSO_SIZE_INVALID);
    }

    @Test
    void checksumStartPastThePacketOrBesideTheTransportHeader() {
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000).csumStart(length);
        assertThat(prepared()).isEqualTo(OffloadError.CSUM_START_INVALID);
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000).csumStart(0xFFFF);
        assertThat(prepared()).isEqualTo(OffloadError.CSUM_START_INVALID);
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000).csumStart(24);
        assertThat(prepared()).isEqualTo(OffloadError.CSUM_START_INVALID);
        write(tcp4(), VirtioNetHeader.GSO_NONE, 0).csumStart(16);
        assertThat(prepared()).isEqualTo(OffloadError.CSUM_START_INVALID);
    }

    @Test
    void checksumOffsetPastThePacketOrBesideTheChecksumField() {
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000).csumOffset(length - 20 - 1);
        assertThat(prepared()).isEqualTo(OffloadError.CSUM_OFFSET_INVALID);
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000).csumOffset(0xFFFF);
        assertThat(prepared()).isEqualTo(OffloadError.CSUM_OFFSET_INVALID);
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000).csumOffset(6);
        assertThat(prepared()).isEqualTo(OffloadError.CSUM_OFFSET_INVALID);
        write(tcp4(), VirtioNetHeader.GSO_NONE, 0).csumOffset(6);
        assertThat(prepared()).isEqualTo(OffloadError.CSUM_OFFSET_INVALID);
    }

    @Test
    void headerLengthPastThePacket() {
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000).hdrLen(length + 1);
        assertThat(prepared()).isEqualTo(OffloadError.HDR_LEN_INVALID);
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000).hdrLen(length); // the whole linear part: fine
        assertThat(prepared()).isEqualTo(OffloadError.OK);
    }

    @Test
    void gsoTypeThatDoesNotMatchThePacket() {
        write(tcp4(), VirtioNetHeader.GSO_TCPV6, 1000);
        assertThat(prepared()).isEqualTo(OffloadError.GSO_TYPE_MISMATCH);
        write(tcp4(), VirtioNetHeader.GSO_UDP_L4, 1000).csumOffset(6);
        assertThat(prepared()).isEqualTo(OffloadError.GSO_TYPE_MISMATCH);
        TestPacket v6 = tcp4();
        v6.version = 6;
        write(v6, VirtioNetHeader.GSO_TCPV4, 1000);
        assertThat(prepared()).isEqualTo(OffloadError.GSO_TYPE_MISMATCH);
        TestPacket udp = tcp4();
        udp.protocol = TestPacket.UDP;
        udp.tcpOptions = new byte[0];
        write(udp, VirtioNetHeader.GSO_TCPV4, 1000).csumOffset(16);
        assertThat(prepared()).isEqualTo(OffloadError.GSO_TYPE_MISMATCH);
        write(udp, VirtioNetHeader.GSO_UDP_L4 | VirtioNetHeader.GSO_ECN, 1000);
        assertThat(prepared()).isEqualTo(OffloadError.GSO_TYPE_MISMATCH);
        write(udp, VirtioNetHeader.GSO_UDP_L4, 1000);
        assertThat(prepared()).isEqualTo(OffloadError.OK);
        write(tcp4(), VirtioNetHeader.GSO_NONE | VirtioNetHeader.GSO_ECN, 0);
        assertThat(prepared()).isEqualTo(OffloadError.GSO_TYPE_MISMATCH);
    }

    @Test
    void aFragmentIsNeverCut() {
        TestPacket udp = tcp4();
        udp.protocol = TestPacket.UDP;
        udp.tcpOptions = new byte[0];
        write(udp, VirtioNetHeader.GSO_UDP_L4, 1000);
        int ip = VNET_AT + VirtioNetHeader.LENGTH;
        in.putShort(ip + 6, (short) 0x2000); // MF
        in.putShort(ip + 10, (short) Checksums.ipv4Header(in, ip, 20));
        assertThat(prepared()).isEqualTo(OffloadError.GSO_TYPE_MISMATCH);
    }

    @Test
    void udpFragmentationOffloadAndUnknownTypesAndFlags() {
        write(tcp4(), VirtioNetHeader.GSO_UDP, 1000);
        assertThat(prepared()).isEqualTo(OffloadError.UFO_UNSUPPORTED);
        for (int type : new int[] {2, 6, 0x7F, 0x82}) {
            write(tcp4(), type, 1000);
            assertThat(prepared()).as("gso type %d", type).isEqualTo(OffloadError.UNKNOWN_GSO_TYPE);
        }
        for (int flags : new int[] {4, 0x80, 0xFF}) {
            write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000).flags(flags);
            assertThat(prepared()).as("flags %d", flags).isEqualTo(OffloadError.UNKNOWN_FLAGS);
        }
    }

    @Test
    void truncatedIpPacket() {
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000);
        assertThat(prepared(length - 1)).isEqualTo(OffloadError.IP_INVALID);
        assertThat(splitter.ipError()).isEqualTo(WireError.INNER_LENGTH_MISMATCH);
        assertThat(prepared(10)).isEqualTo(OffloadError.CSUM_START_INVALID);
        vnet.flags(0).gsoType(VirtioNetHeader.GSO_NONE).hdrLen(0);
        assertThat(prepared(10)).isEqualTo(OffloadError.IP_INVALID);
        assertThat(splitter.ipError()).isEqualTo(WireError.INNER_TRUNCATED);
        assertThat(prepared(0)).isEqualTo(OffloadError.IP_INVALID);
    }

    @Test
    void regionOutsideTheBuffer() {
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000);
        in.limit(VNET_AT + VirtioNetHeader.LENGTH + length - 1);
        assertThat(prepared()).isEqualTo(OffloadError.TRUNCATED);
        assertThat(splitter.prepare(in, -1, 10)).isEqualTo(-1);
        assertThat(splitter.error()).isEqualTo(OffloadError.TRUNCATED);
        assertThat(splitter.prepare(in, in.limit() - 5, 0)).isEqualTo(-1);
        assertThat(splitter.error()).isEqualTo(OffloadError.TRUNCATED);
        assertThat(splitter.prepare(in, 0, -1)).isEqualTo(-1);
        assertThat(splitter.prepare(in, Integer.MAX_VALUE, Integer.MAX_VALUE)).isEqualTo(-1);
        assertThat(splitter.error()).isEqualTo(OffloadError.TRUNCATED);
        assertThat(splitter.segmentCount()).isZero();
        assertThat(splitter.writeSegment(0, ByteBuffer.allocate(100_000), 0)).isEqualTo(-1);
    }

    @Test
    void moreThanSixtyFourKilobytes() {
        write(tcp4(), VirtioNetHeader.GSO_TCPV4, 1000);
        assertThat(prepared(GsoSplitter.MAX_PACKET_LENGTH + 1)).isEqualTo(OffloadError.PACKET_TOO_LARGE);
    }

    @Test
    void labelsAreDistinctSnakeCase() {
        assertThat(java.util.Arrays.stream(OffloadError.values()).map(OffloadError::label).distinct().count())
            .isEqualTo(OffloadError.values().length);
        for (OffloadError error : OffloadError.values()) {
            assertThat(error.label()).matches("ok|vnet_[a-z0-9_]+");
        }
    }

    @Test
    void randomMutationsNeverThrowNorWriteOutsideTheDestination() {
        SplittableRandom random = new SplittableRandom(0xBAD_5EEDL);
        Map<OffloadError, Integer> results = new EnumMap<>(OffloadError.class);
        ByteBuffer dst = ByteBuffer.allocate(4096);
        InnerPacket view = new InnerPacket();
        int segmentsChecked = 0;
        for (int round = 0; round < ROUNDS; round++) {
            int packetLength = mutatedInput(random);
            int n;
            try {
                n = splitter.prepare(in, VNET_AT, packetLength);
                results.merge(splitter.error(), 1, Integer::sum);
                if (n > 0) {
                    segmentsChecked += writeAll(random, dst, view, n, round);
                }
            } catch (RuntimeException e) {
                fail("round " + round + ": " + vnetText(), e);
            }
        }
        assertThat(results.getOrDefault(OffloadError.OK, 0)).isGreaterThan(ROUNDS / 10);
        assertThat(segmentsChecked).isGreaterThan(ROUNDS);
        assertThat(results.keySet()).contains(OffloadError.TRUNCATED, OffloadError.UNKNOWN_FLAGS,
            OffloadError.UNKNOWN_GSO_TYPE, OffloadError.UFO_UNSUPPORTED, OffloadError.IP_INVALID,
            OffloadError.GSO_TYPE_MISMATCH, OffloadError.GSO_SIZE_INVALID, OffloadError.CSUM_START_INVALID,
            OffloadError.CSUM_OFFSET_INVALID, OffloadError.HDR_LEN_INVALID);
    }

    /** Writes every segment into a region of exactly maxSegmentLength bytes between guards; returns the count. */
    private int writeAll(SplittableRandom random, ByteBuffer dst, InnerPacket view, int n, int round) {
        int room = splitter.maxSegmentLength();
        boolean cut = vnet.gsoType() != VirtioNetHeader.GSO_NONE;
        for (int k = 0; k < n; k++) {
            int at = random.nextInt(64);
            dst.clear();
            java.util.Arrays.fill(dst.array(), GUARD);
            dst.limit(at + room); // a write past the region throws and fails the round
            int written = splitter.writeSegment(k, dst, at);
            assertThat(written).as("round %d segment %d", round, k).isPositive().isLessThanOrEqualTo(room);
            for (int i = 0; i < at; i++) {
                if (dst.get(i) != GUARD) {
                    fail("round " + round + " segment " + k + " wrote before its region");
                }
            }
            if (cut) {
                // Whatever was accepted for cutting comes out as valid packets with good checksums.
                assertThat(view.wrap(dst, at, written)).as("round %d segment %d", round, k).isEqualTo(WireError.OK);
                long sum = Checksums.pseudoHeader(dst, view, view.l4Length());
                assertThat(Checksums.finish(Checksums.partialSum(dst, view.l4Offset(), view.l4Length(), sum)))
                    .as("round %d segment %d checksum", round, k).isZero();
            }
        }
        return n;
    }

    private int mutatedInput(SplittableRandom random) {
        TestPacket packet = GsoSplitterTest.randomTcp(random);
        if (random.nextBoolean()) {
            packet.protocol = TestPacket.UDP;
            packet.tcpOptions = new byte[0];
        }
        packet.payloadLength = 1 + random.nextInt(Math.min(packet.payloadLength, 600));
        int gsoSize = 1 + random.nextInt(packet.payloadLength);
        int gsoType = packet.protocol == TestPacket.UDP ? VirtioNetHeader.GSO_UDP_L4
            : packet.version == 4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6;
        write(packet, random.nextInt(5) == 0 ? VirtioNetHeader.GSO_NONE : gsoType, gsoSize);
        int packetLength = length;
        int end = VNET_AT + VirtioNetHeader.LENGTH + length;
        int mutations = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(2);
        for (int m = 0; m < mutations; m++) {
            switch (random.nextInt(6)) {
                case 0 -> in.putShort(VNET_AT + 2 * (1 + random.nextInt(4)), (short) random.nextInt(1 << 16));
                case 1 -> in.put(VNET_AT + random.nextInt(2), (byte) random.nextInt(256));
                case 2 -> {
                    int at = VNET_AT + random.nextInt(Math.min(end - VNET_AT, 100));
                    in.put(at, (byte) (in.get(at) ^ (1 << random.nextInt(8))));
                }
                case 3 -> packetLength = random.nextInt(packetLength + 1);
                case 4 -> packetLength += random.nextInt(-3, 4);
                default -> {
                    // small, plausible values: the field lands near a real boundary
                    in.putShort(VNET_AT + 2 * (1 + random.nextInt(4)), (short) random.nextInt(128));
                }
            }
        }
        int slack = random.nextInt(4) == 0 ? random.nextInt(-2, 3) : 0;
        in.limit(Math.max(VNET_AT, Math.min(in.capacity(), end + slack)));
        return packetLength;
    }

    private String vnetText() {
        return "flags=" + vnet.flags() + " type=" + vnet.gsoType() + " hdrLen=" + vnet.hdrLen() + " gso="
            + vnet.gsoSize() + " start=" + vnet.csumStart() + " offset=" + vnet.csumOffset() + " limit=" + in.limit();
    }
}
