package io.astaire.wire.offload;

import io.astaire.wire.Checksums;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.Ipv4Header;
import io.astaire.wire.Ipv6Header;
import io.astaire.wire.TcpHeader;
import io.astaire.wire.UdpHeader;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;

/**
 * Turns what one TUN read returned (virtio_net_hdr + packet) into ordinary IP packets: completes a
 * partial checksum, cuts TSO/USO super-packets into segments. One per thread, no allocation.
 * Usage: {@code int n = prepare(...); if (n < 0) drop with error(); else for k in 0..n-1:
 * len = writeSegment(k, dst, dstOffset)}. The header is checked against the packet's own headers
 * and nothing it claims is trusted before that: anything that does not add up is an
 * {@link OffloadError}, never an exception.
 */
public final class GsoSplitter {

    /** The largest packet a TUN read with offloads may return. */
    public static final int MAX_PACKET_LENGTH = 64 * 1024;

    private static final int KNOWN_FLAGS = VirtioNetHeader.F_NEEDS_CSUM | VirtioNetHeader.F_DATA_VALID;
    private static final int TCP_CHECKSUM_AT = 16;
    private static final int UDP_CHECKSUM_AT = 6;
    private static final int NOT_LAST_SEGMENT_CLEARS = TcpHeader.FIN | TcpHeader.PSH;

    /** How the prepared packet is turned into segments. */
    private enum Mode { NONE, WHOLE, TCP, UDP }

    private final VirtioNetHeader vnet = new VirtioNetHeader();
    private final InnerPacket packet = new InnerPacket();
    private final Ipv4Header outIpv4 = new Ipv4Header();
    private final Ipv6Header outIpv6 = new Ipv6Header();
    private final TcpHeader outTcp = new TcpHeader();
    private final UdpHeader outUdp = new UdpHeader();

    private OffloadError error = OffloadError.OK;
    private WireError ipError = WireError.OK;
    private Mode mode = Mode.NONE;
    private ByteBuffer src;
    private int ipOffset;
    private int packetLength;
    private int segments;
    private boolean needsChecksum;
    private int csumStart;
    private int csumOffset;
    private boolean udp;
    private int version;
    private int ipHeaderLength;
    private int headersLength;
    private int payloadLength;
    private int gsoSize;
    private long pseudoHeaderWithoutLength;
    private int firstIdentification;
    private int firstSequence;
    private int tcpFlags;

    /** A splitter with nothing prepared. */
    public GsoSplitter() {
    }

    /**
     * Reads the virtio_net_hdr at {@code vnetOffset} and the packet of {@code packetLength} bytes
     * right after it (in {@code src}), and checks that they agree.
     *
     * @return the number of segments (1 for a packet that needs no cutting), or -1 with
     *     {@link #error()} set
     */
    public int prepare(ByteBuffer src, int vnetOffset, int packetLength) {
        this.mode = Mode.NONE;
        this.segments = 0;
        this.ipError = WireError.OK;
        this.src = src;
        this.packetLength = packetLength;
        this.ipOffset = vnetOffset + VirtioNetHeader.LENGTH;
        OffloadError result = check(src, vnetOffset, packetLength);
        this.error = result;
        return result == OffloadError.OK ? segments : -1;
    }

    private OffloadError check(ByteBuffer buffer, int vnetOffset, int length) {
        if (vnetOffset < 0 || length < 0 || vnetOffset > buffer.limit()
            || buffer.limit() - vnetOffset < VirtioNetHeader.LENGTH
            || length > buffer.limit() - vnetOffset - VirtioNetHeader.LENGTH) {
            return OffloadError.TRUNCATED;
        }
        if (length > MAX_PACKET_LENGTH) {
            return OffloadError.PACKET_TOO_LARGE;
        }
        vnet.wrap(buffer, vnetOffset);
        int flags = vnet.flags();
        if ((flags & ~KNOWN_FLAGS) != 0) {
            return OffloadError.UNKNOWN_FLAGS;
        }
        int gsoType = vnet.gsoType() & ~VirtioNetHeader.GSO_ECN;
        boolean ecn = (vnet.gsoType() & VirtioNetHeader.GSO_ECN) != 0;
        if (gsoType == VirtioNetHeader.GSO_UDP) {
            return OffloadError.UFO_UNSUPPORTED;
        }
        if (gsoType != VirtioNetHeader.GSO_NONE && gsoType != VirtioNetHeader.GSO_TCPV4
            && gsoType != VirtioNetHeader.GSO_TCPV6 && gsoType != VirtioNetHeader.GSO_UDP_L4) {
            return OffloadError.UNKNOWN_GSO_TYPE;
        }
        needsChecksum = (flags & VirtioNetHeader.F_NEEDS_CSUM) != 0;
        csumStart = vnet.csumStart();
        csumOffset = vnet.csumOffset();
        if (needsChecksum && csumStart >= length) {
            return OffloadError.CSUM_START_INVALID;
        }
        if (needsChecksum && csumOffset > length - csumStart - 2) {
            return OffloadError.CSUM_OFFSET_INVALID;
        }
        if (vnet.hdrLen() > length) {
            return OffloadError.HDR_LEN_INVALID;
        }
        ipError = packet.wrap(buffer, ipOffset, length);
        if (ipError != WireError.OK) {
            return OffloadError.IP_INVALID;
        }
        if (gsoType == VirtioNetHeader.GSO_NONE) {
            return ecn ? OffloadError.GSO_TYPE_MISMATCH : checkWhole();
        }
        return checkSegmentable(gsoType, ecn);
    }

    private OffloadError checkWhole() {
        udp = packet.isUdp();
        if (needsChecksum) {
            boolean transport = (packet.isTcp() || packet.isUdp()) && !packet.isFragment();
            if (transport ? csumStart != packet.headerLength() : csumStart < packet.headerLength()) {
                return OffloadError.CSUM_START_INVALID;
            }
            if (transport && csumOffset != (udp ? UDP_CHECKSUM_AT : TCP_CHECKSUM_AT)) {
                return OffloadError.CSUM_OFFSET_INVALID;
            }
        }
        mode = Mode.WHOLE;
        segments = 1;
        return OffloadError.OK;
    }

    private OffloadError checkSegmentable(int gsoType, boolean ecn) {
        boolean tcp = gsoType != VirtioNetHeader.GSO_UDP_L4;
        boolean protocolAgrees = tcp ? packet.isTcp() : packet.isUdp() && !ecn;
        boolean versionAgrees = gsoType == VirtioNetHeader.GSO_TCPV4 ? packet.version() == 4
            : gsoType != VirtioNetHeader.GSO_TCPV6 || packet.version() == 6;
        if (!protocolAgrees || !versionAgrees || packet.isFragment()) {
            return OffloadError.GSO_TYPE_MISMATCH;
        }
        ipHeaderLength = packet.headerLength();
        if (needsChecksum && csumStart != ipHeaderLength) {
            return OffloadError.CSUM_START_INVALID;
        }
        if (needsChecksum && csumOffset != (tcp ? TCP_CHECKSUM_AT : UDP_CHECKSUM_AT)) {
            return OffloadError.CSUM_OFFSET_INVALID;
        }
        headersLength = ipHeaderLength + (tcp ? packet.tcp().headerLength() : UdpHeader.LENGTH);
        payloadLength = packetLength - headersLength;
        gsoSize = vnet.gsoSize();
        if (gsoSize == 0 || gsoSize > payloadLength) {
            return OffloadError.GSO_SIZE_INVALID;
        }
        udp = !tcp;
        version = packet.version();
        pseudoHeaderWithoutLength = Checksums.pseudoHeader(src, packet, 0);
        firstIdentification = version == 4 ? packet.ipv4().identification() : 0;
        firstSequence = tcp ? packet.tcp().sequence() : 0;
        tcpFlags = tcp ? packet.tcp().flags() : 0;
        segments = (payloadLength + gsoSize - 1) / gsoSize;
        mode = tcp ? Mode.TCP : Mode.UDP;
        return OffloadError.OK;
    }

    /** Why the last {@link #prepare} or {@link #writeSegment} refused. */
    public OffloadError error() {
        return error;
    }

    /** For {@link OffloadError#IP_INVALID}: what the IP decoder found wrong. */
    public WireError ipError() {
        return ipError;
    }

    /** How many segments the prepared packet gives (0 when nothing valid is prepared). */
    public int segmentCount() {
        return segments;
    }

    /** Where the prepared IP packet starts in the source buffer (right after the virtio_net_hdr). */
    public int packetOffset() {
        return ipOffset;
    }

    /** The largest segment length of the prepared packet (headers + payload), so a caller can check its room. */
    public int maxSegmentLength() {
        return switch (mode) {
            case NONE -> 0;
            case WHOLE -> packetLength;
            case TCP, UDP -> headersLength + gsoSize;
        };
    }

    /** The length of segment {@code k} of the prepared packet, or -1 when there is no such segment. */
    public int segmentLength(int k) {
        if (k < 0 || k >= segments) {
            return -1;
        }
        return mode == Mode.WHOLE ? packetLength : headersLength + segmentPayload(k);
    }

    /**
     * Writes segment {@code k} (0-based) of the prepared packet as a complete IP packet at
     * {@code dst[dstOffset..]}, checksums done. {@code dst} may be the source buffer only if the
     * regions do not overlap.
     *
     * @return its length in bytes, or -1 (nothing written) when no such segment was prepared or
     *     it does not fit between {@code dstOffset} and the limit of {@code dst}
     *     ({@link #error()} then {@link OffloadError#NO_ROOM})
     */
    public int writeSegment(int k, ByteBuffer dst, int dstOffset) {
        int length = segmentLength(k);
        if (length < 0) {
            return -1;
        }
        if (dstOffset < 0 || dstOffset > dst.limit() || length > dst.limit() - dstOffset) {
            error = OffloadError.NO_ROOM;
            return -1;
        }
        if (mode == Mode.WHOLE) {
            dst.put(dstOffset, src, ipOffset, length);
            if (needsChecksum) {
                completeChecksum(dst, dstOffset);
            }
            return length;
        }
        int payload = segmentPayload(k);
        dst.put(dstOffset, src, ipOffset, headersLength);
        dst.put(dstOffset + headersLength, src, ipOffset + headersLength + k * gsoSize, payload);
        finishSegment(dst, dstOffset, k, payload);
        return length;
    }

    /**
     * For a prepared packet of one segment: makes it a complete IP packet where it lies
     * ({@link #packetOffset()} in the source buffer) instead of copying it.
     *
     * @return its length, or -1 when nothing is prepared or the packet has more than one segment
     */
    public int completeInPlace() {
        if (segments != 1) {
            return -1;
        }
        if (mode == Mode.WHOLE) {
            if (needsChecksum) {
                completeChecksum(src, ipOffset);
            }
        } else {
            finishSegment(src, ipOffset, 0, payloadLength);
        }
        return packetLength;
    }

    private int segmentPayload(int k) {
        return Math.min(gsoSize, payloadLength - k * gsoSize);
    }

    // The kernel left the pseudo-header sum in the field: summing over it completes the checksum.
    private void completeChecksum(ByteBuffer buffer, int at) {
        long sum = Checksums.partialSum(buffer, at + csumStart, packetLength - csumStart, 0);
        int checksum = Checksums.finish(sum);
        buffer.putShort(at + csumStart + csumOffset, (short) (udp && checksum == 0 ? 0xFFFF : checksum));
    }

    private void finishSegment(ByteBuffer dst, int at, int k, int payload) {
        int length = headersLength + payload;
        if (version == 4) {
            outIpv4.wrap(dst, at).totalLength(length).identification(firstIdentification + k);
            outIpv4.checksum(Checksums.ipv4Header(dst, at, ipHeaderLength));
        } else {
            outIpv6.wrap(dst, at).payloadLength(length - Ipv6Header.LENGTH);
        }
        int l4 = at + ipHeaderLength;
        int l4Length = length - ipHeaderLength;
        if (mode == Mode.TCP) {
            outTcp.wrap(dst, l4).sequence(firstSequence + k * gsoSize).flags(segmentFlags(k)).checksum(0);
            outTcp.checksum(Checksums.finish(Checksums.partialSum(dst, l4, l4Length,
                pseudoHeaderWithoutLength + l4Length)));
        } else {
            outUdp.wrap(dst, l4).length(l4Length).checksum(0);
            int checksum = Checksums.finish(Checksums.partialSum(dst, l4, l4Length,
                pseudoHeaderWithoutLength + l4Length));
            outUdp.checksum(checksum == 0 ? 0xFFFF : checksum);
        }
    }

    // As the kernel's tcp_gso_segment: CWR only on the first segment, FIN and PSH only on the last.
    private int segmentFlags(int k) {
        int flags = tcpFlags;
        if (k > 0) {
            flags &= ~TcpHeader.CWR;
        }
        if (k < segments - 1) {
            flags &= ~NOT_LAST_SEGMENT_CLEARS;
        }
        return flags;
    }
}
