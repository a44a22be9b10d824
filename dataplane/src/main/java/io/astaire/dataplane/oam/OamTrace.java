package io.astaire.dataplane.oam;

import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.VxlanGpeHeader;
import io.astaire.wire.WireError;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * The byte layout of a trace probe ({@code astaire trace}, docs/wire.md "Trace probes"): an
 * ordinary VXLAN-GPE + NSH datagram carrying a real inner IP packet, with the NSH O bit set and MD
 * type 2, whose first context header is Astaire's trace TLV (metadata class {@value #TLV_CLASS}, in
 * RFC 8300's experimental range, type {@value #TLV_TYPE}, {@value #VALUE_LENGTH} bytes):
 *
 * <pre>
 *  0  version (1)
 *  1  flags: 0x01 reverse leg, 0x02 the reply-to address is IPv6
 *  2  reply-to UDP port
 *  4  trace id (64 bits, chosen by the collector)
 * 12  reply-to address (IPv4 in the first 4 bytes, the rest 0; or 16 bytes of IPv6)
 * </pre>
 *
 * The collector sends a probe with SPI 0 to an edge ("classify this"); the edge classifies the
 * inner packet like real traffic and sends the probe into the chosen path; every node that handles
 * it reports to the reply-to address ({@link TraceReporter}).
 */
public final class OamTrace {

    public static final int TLV_CLASS = 0xFFF6;
    public static final int TLV_TYPE = 0x01;
    public static final int VALUE_LENGTH = 28;
    public static final int VERSION = 1;
    public static final int FLAG_REVERSE = 0x01;
    private static final int FLAG_IPV6 = 0x02;
    /** SPI of a probe that asks the edge to classify it. */
    public static final int CLASSIFY_ME = 0;
    /** The NSH of a probe: base header, service path header, the trace TLV. */
    public static final int NSH_LENGTH = NshHeader.BASE_LENGTH + NshHeader.TLV_HEADER_LENGTH + VALUE_LENGTH;
    /** VXLAN-GPE + NSH in front of the inner packet. */
    public static final int HEADROOM = VxlanGpeHeader.LENGTH + NSH_LENGTH;
    /** The largest probe accepted: a probe is small, whatever the flow it stands for. */
    public static final int MAX_LENGTH = 1024;

    private static final int O_BIT = 0x20;

    private OamTrace() {}

    /**
     * Whether the datagram is a well-formed trace probe: VXLAN-GPE + NSH with the O bit, MD type 2,
     * an IPv4 or IPv6 next protocol and at least an IP header after the NSH, the trace TLV of version
     * 1 first, at most {@value #MAX_LENGTH} bytes. Reads only inside {@code length}; allocates nothing.
     */
    public static boolean isProbe(GpeNshPacket packet, ByteBuffer buffer, int offset, int length) {
        if (length > MAX_LENGTH || packet.wrap(buffer, offset, length) != WireError.OK) {
            return false;
        }
        NshHeader nsh = packet.nsh();
        int next = nsh.nextProtocol();
        if (!nsh.oBit() || nsh.mdType() != NshHeader.MD_TYPE_2
                || (next != NshHeader.NEXT_PROTOCOL_IPV4 && next != NshHeader.NEXT_PROTOCOL_IPV6)
                || packet.innerLength() < (next == NshHeader.NEXT_PROTOCOL_IPV4 ? 20 : 40)) {
            return false; // (the inner packet is checked in full where it is used)
        }
        int tlv = nsh.firstTlv();
        return tlv >= 0 && nsh.tlvClass(tlv) == TLV_CLASS && nsh.tlvType(tlv) == TLV_TYPE
                && nsh.tlvLength(tlv) == VALUE_LENGTH && (buffer.get(tlv + NshHeader.TLV_HEADER_LENGTH) & 0xFF) == VERSION;
    }

    /**
     * Writes GPE + NSH (O bit, MD type 2, the trace TLV) in the {@value #HEADROOM} bytes in front of
     * the inner packet at {@code innerOffset}.
     *
     * @return where the datagram starts
     */
    public static int encapsulate(ByteBuffer buffer, int innerOffset, int innerLength, int spi, int si, int ttl,
                                  long traceId, InetSocketAddress replyTo, boolean reverse) {
        int version = buffer.get(innerOffset) >>> 4 & 0xF;
        int next = version == 6 ? NshHeader.NEXT_PROTOCOL_IPV6 : NshHeader.NEXT_PROTOCOL_IPV4;
        ByteBuffer tlv = ByteBuffer.allocate(NshHeader.TLV_HEADER_LENGTH + VALUE_LENGTH);
        byte[] address = replyTo.getAddress().getAddress();
        tlv.putShort(0, (short) TLV_CLASS).put(2, (byte) TLV_TYPE).put(3, (byte) VALUE_LENGTH);
        int v = NshHeader.TLV_HEADER_LENGTH;
        tlv.put(v, (byte) VERSION)
                .put(v + 1, (byte) ((reverse ? FLAG_REVERSE : 0) | (address.length == 16 ? FLAG_IPV6 : 0)))
                .putShort(v + 2, (short) replyTo.getPort())
                .putLong(v + 4, traceId)
                .put(v + 12, address);
        int start = GpeNshPacket.encapsulateMd2(buffer, innerOffset, innerLength, spi, si, ttl, next, tlv, 0, tlv.capacity());
        if (start >= 0) {
            int nsh = start + VxlanGpeHeader.LENGTH;
            buffer.put(nsh, (byte) (buffer.get(nsh) | O_BIT));
        }
        return start;
    }

    /** The offset of the trace TLV's value in a probe whose NSH starts at {@code nshOffset}. */
    public static int valueOffset(int nshOffset) {
        return nshOffset + NshHeader.BASE_LENGTH + NshHeader.TLV_HEADER_LENGTH;
    }

    public static long traceId(ByteBuffer buffer, int nshOffset) {
        return buffer.getLong(valueOffset(nshOffset) + 4);
    }

    public static boolean reverse(ByteBuffer buffer, int nshOffset) {
        return (buffer.get(valueOffset(nshOffset) + 1) & FLAG_REVERSE) != 0;
    }

    /** Marks the probe as on the reverse leg (the egress turns a probe around). */
    public static void markReverse(ByteBuffer buffer, int nshOffset) {
        int flags = valueOffset(nshOffset) + 1;
        buffer.put(flags, (byte) (buffer.get(flags) | FLAG_REVERSE));
    }

    /** Where reports go, or null when the address is one no report may be sent to (allocates: the rare path). */
    public static InetSocketAddress replyTo(ByteBuffer buffer, int nshOffset) {
        int v = valueOffset(nshOffset);
        byte[] address = new byte[(buffer.get(v + 1) & FLAG_IPV6) != 0 ? 16 : 4];
        buffer.get(v + 12, address);
        int port = buffer.getShort(v + 2) & 0xFFFF;
        try {
            InetAddress a = InetAddress.getByAddress(address);
            if (port == 0 || a.isAnyLocalAddress() || a.isMulticastAddress() || (a instanceof Inet4Address && address[0] == 0)) {
                return null;
            }
            return new InetSocketAddress(a, port);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
