package io.astaire.wire;

import java.nio.ByteBuffer;

/**
 * A validated view over an inner IP packet (what NSH carries and what TUN devices read): IPv4 or
 * IPv6 (walking hop-by-hop, routing, fragment, destination options and AH extension headers),
 * then TCP, UDP, ICMP or ICMPv6. {@link #wrap} checks everything the accessors later rely on.
 * Setters of addresses, ports, TTL and DSCP keep the IPv4 header checksum and the TCP/UDP
 * checksum right with RFC 1624 incremental updates, so a NAT need not recompute whole sums.
 */
public final class InnerPacket {

    /** IP protocol number of ICMP. */
    public static final int PROTOCOL_ICMP = 1;
    /** IP protocol number of TCP. */
    public static final int PROTOCOL_TCP = 6;
    /** IP protocol number of UDP. */
    public static final int PROTOCOL_UDP = 17;
    /** IP protocol number of ICMPv6. */
    public static final int PROTOCOL_ICMPV6 = 58;

    /** Extension headers walked at most; a longer chain is refused as {@link WireError#BAD_EXTENSION_HEADER}. */
    public static final int MAX_EXTENSION_HEADERS = 8;

    private static final int EXT_HOP_BY_HOP = 0;
    private static final int EXT_ROUTING = 43;
    private static final int EXT_FRAGMENT = 44;
    private static final int EXT_AH = 51;
    private static final int EXT_NO_NEXT = 59;
    private static final int EXT_DESTINATION = 60;

    private final Ipv4Header ipv4 = new Ipv4Header();
    private final Ipv6Header ipv6 = new Ipv6Header();
    private final TcpHeader tcp = new TcpHeader();
    private final UdpHeader udp = new UdpHeader();
    private final IcmpHeader icmp = new IcmpHeader();

    private ByteBuffer buffer;
    private int offset;
    private int length;
    private int version;
    private int protocol;
    private int l4Offset;
    private boolean fragment;
    private boolean l4Present;

    /**
     * Points this view at the IP packet of {@code length} bytes at {@code offset} and validates it:
     * IP version 4 or 6, the header inside the bytes, the IP length field equal to
     * {@code length}, IPv6 extension headers inside the packet, and for TCP/UDP/ICMP (except
     * on non-first fragments) the transport header inside the packet (UDP: its length field
     * equal to the bytes present). Never throws on bad input.
     */
    public WireError wrap(ByteBuffer buffer, int offset, int length) {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        this.version = 0;
        this.protocol = -1;
        this.l4Offset = offset;
        this.fragment = false;
        this.l4Present = false;
        if (offset < 0 || length < 0 || offset > buffer.limit() || length > buffer.limit() - offset) {
            return WireError.INNER_TRUNCATED;
        }
        if (length < 1) {
            return WireError.INNER_TRUNCATED;
        }
        int ipVersion = (buffer.get(offset) >> 4) & 0xF;
        WireError error;
        if (ipVersion == 4) {
            error = wrapIpv4();
        } else if (ipVersion == 6) {
            error = wrapIpv6();
        } else {
            return WireError.BAD_IP_VERSION;
        }
        if (error != WireError.OK) {
            return error;
        }
        version = ipVersion;
        return fragmentWithoutL4() ? WireError.OK : validateL4();
    }

    /**
     * As {@link #wrap(ByteBuffer, int, int)}, and also checks that the IP version matches the NSH
     * next protocol (1 IPv4, 2 IPv6).
     */
    public WireError wrap(ByteBuffer buffer, int offset, int length, int nshNextProtocol) {
        WireError error = wrap(buffer, offset, length);
        if (error != WireError.OK) {
            return error;
        }
        boolean agrees = nshNextProtocol == NshHeader.NEXT_PROTOCOL_IPV4 ? version == 4
            : nshNextProtocol == NshHeader.NEXT_PROTOCOL_IPV6 && version == 6;
        if (!agrees) {
            version = 0;
            return WireError.BAD_IP_VERSION;
        }
        return WireError.OK;
    }

    private WireError wrapIpv4() {
        if (length < Ipv4Header.MIN_LENGTH) {
            return WireError.INNER_TRUNCATED;
        }
        ipv4.wrap(buffer, offset);
        int headerLength = ipv4.headerLength();
        if (headerLength < Ipv4Header.MIN_LENGTH) {
            return WireError.BAD_IP_HEADER_LENGTH;
        }
        if (headerLength > length) {
            return WireError.INNER_TRUNCATED;
        }
        int total = ipv4.totalLength();
        if (total != length) {
            return WireError.INNER_LENGTH_MISMATCH;
        }
        protocol = ipv4.protocol();
        l4Offset = offset + headerLength;
        fragment = ipv4.moreFragments() || ipv4.fragmentOffset() != 0;
        l4Present = ipv4.fragmentOffset() == 0;
        return WireError.OK;
    }

    private WireError wrapIpv6() {
        if (length < Ipv6Header.LENGTH) {
            return WireError.INNER_TRUNCATED;
        }
        ipv6.wrap(buffer, offset);
        if (ipv6.payloadLength() + Ipv6Header.LENGTH != length) {
            return WireError.INNER_LENGTH_MISMATCH;
        }
        int end = offset + length;
        int position = offset + Ipv6Header.LENGTH;
        int next = ipv6.nextHeader();
        l4Present = true;
        for (int walked = 0; ; walked++) {
            if (next != EXT_HOP_BY_HOP && next != EXT_ROUTING && next != EXT_FRAGMENT && next != EXT_AH
                && next != EXT_DESTINATION) {
                break;
            }
            if (walked == MAX_EXTENSION_HEADERS) {
                return WireError.BAD_EXTENSION_HEADER;
            }
            if (end - position < 8) {
                return WireError.INNER_TRUNCATED;
            }
            int headerLength;
            if (next == EXT_FRAGMENT) {
                headerLength = 8;
                int fragmentField = buffer.getShort(position + 2) & 0xFFFF;
                // Offset 0 without M is an atomic fragment (RFC 6946): a whole datagram.
                fragment = fragment || (fragmentField & 0xFFF9) != 0;
                if ((fragmentField >> 3) != 0) {
                    l4Present = false;
                }
            } else if (next == EXT_AH) {
                headerLength = ((buffer.get(position + 1) & 0xFF) + 2) * 4;
            } else {
                headerLength = ((buffer.get(position + 1) & 0xFF) + 1) * 8;
            }
            if (headerLength > end - position) {
                return WireError.BAD_EXTENSION_HEADER;
            }
            next = buffer.get(position) & 0xFF;
            position += headerLength;
            if (!l4Present) {
                break;
            }
        }
        if (next == EXT_NO_NEXT) {
            l4Present = false;
        }
        protocol = next;
        l4Offset = position;
        return WireError.OK;
    }

    private boolean fragmentWithoutL4() {
        return !l4Present;
    }

    private WireError validateL4() {
        int remaining = offset + length - l4Offset;
        switch (protocol) {
            case PROTOCOL_TCP -> {
                if (remaining < TcpHeader.MIN_LENGTH) {
                    return WireError.INNER_TRUNCATED;
                }
                tcp.wrap(buffer, l4Offset);
                int headerLength = tcp.headerLength();
                if (headerLength < TcpHeader.MIN_LENGTH || headerLength > remaining) {
                    return WireError.BAD_L4_HEADER;
                }
            }
            case PROTOCOL_UDP -> {
                if (remaining < UdpHeader.LENGTH) {
                    return WireError.INNER_TRUNCATED;
                }
                udp.wrap(buffer, l4Offset);
                // A first fragment carries only part of the datagram the UDP length describes.
                if (!fragment && udp.length() != remaining) {
                    return WireError.INNER_LENGTH_MISMATCH;
                }
            }
            case PROTOCOL_ICMP, PROTOCOL_ICMPV6 -> {
                if ((protocol == PROTOCOL_ICMP) != (version == 4)) {
                    // ICMPv4 inside IPv6 (or ICMPv6 inside IPv4) is not ICMP we understand: opaque payload.
                    l4Present = false;
                    return WireError.OK;
                }
                if (remaining < IcmpHeader.LENGTH) {
                    return WireError.INNER_TRUNCATED;
                }
                icmp.wrap(buffer, l4Offset);
            }
            default -> l4Present = false;
        }
        return WireError.OK;
    }

    /** The buffer this view reads. */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Where the IP header starts. */
    public int offset() {
        return offset;
    }

    /** IP version: 4 or 6 (0 when the last wrap failed). */
    public int version() {
        return version;
    }

    /** The transport protocol: IPv4 protocol field, or the IPv6 next header after the extension headers. */
    public int protocol() {
        return protocol;
    }

    /** Bytes of IP header (IPv4 options or IPv6 extension headers included). */
    public int headerLength() {
        return l4Offset - offset;
    }

    /** Where the transport header (or the payload after the IP headers) starts. */
    public int l4Offset() {
        return l4Offset;
    }

    /** Bytes from {@link #l4Offset()} to the end of the packet. */
    public int l4Length() {
        return offset + length - l4Offset;
    }

    /** The whole packet's length in bytes. */
    public int totalLength() {
        return length;
    }

    /** True for any fragment (first or later). */
    public boolean isFragment() {
        return fragment;
    }

    /** True when a TCP, UDP, ICMP or ICMPv6 header was found and validated. */
    public boolean hasTransportHeader() {
        return l4Present;
    }

    /** True for a TCP segment with its header present. */
    public boolean isTcp() {
        return l4Present && protocol == PROTOCOL_TCP;
    }

    /** True for a UDP datagram with its header present. */
    public boolean isUdp() {
        return l4Present && protocol == PROTOCOL_UDP;
    }

    /** True for ICMP over IPv4 or ICMPv6 over IPv6 with its header present. */
    public boolean isIcmp() {
        return l4Present && (protocol == PROTOCOL_ICMP || protocol == PROTOCOL_ICMPV6);
    }

    /** The IPv4 header flyweight (meaningful when {@code version() == 4}). */
    public Ipv4Header ipv4() {
        return ipv4;
    }

    /** The IPv6 header flyweight (meaningful when {@code version() == 6}). */
    public Ipv6Header ipv6() {
        return ipv6;
    }

    /** The TCP header flyweight (meaningful when {@link #isTcp()}). */
    public TcpHeader tcp() {
        return tcp;
    }

    /** The UDP header flyweight (meaningful when {@link #isUdp()}). */
    public UdpHeader udp() {
        return udp;
    }

    /** The ICMP header flyweight (meaningful when {@link #isIcmp()}). */
    public IcmpHeader icmp() {
        return icmp;
    }

    /** TCP/UDP source port, else 0. */
    public int sourcePort() {
        if (!l4Present) {
            return 0;
        }
        return protocol == PROTOCOL_TCP || protocol == PROTOCOL_UDP ? buffer.getShort(l4Offset) & 0xFFFF : 0;
    }

    /** TCP/UDP destination port, else 0. */
    public int destinationPort() {
        if (!l4Present) {
            return 0;
        }
        return protocol == PROTOCOL_TCP || protocol == PROTOCOL_UDP ? buffer.getShort(l4Offset + 2) & 0xFFFF : 0;
    }

    /** Sets the TCP/UDP source port and updates the transport checksum; no-op for other protocols. */
    public InnerPacket sourcePort(int port) {
        rewritePort(l4Offset, port);
        return this;
    }

    /** Sets the TCP/UDP destination port and updates the transport checksum; no-op for other protocols. */
    public InnerPacket destinationPort(int port) {
        rewritePort(l4Offset + 2, port);
        return this;
    }

    private void rewritePort(int at, int port) {
        if (!isTcp() && !isUdp()) {
            return;
        }
        int old = buffer.getShort(at) & 0xFFFF;
        buffer.putShort(at, (short) port);
        adjustTransportChecksum(old, port & 0xFFFF);
    }

    /** ICMP/ICMPv6 type, or -1 when this is not ICMP. */
    public int icmpType() {
        return isIcmp() ? buffer.get(l4Offset) & 0xFF : -1;
    }

    /** ICMP/ICMPv6 code, or -1 when this is not ICMP. */
    public int icmpCode() {
        return isIcmp() ? buffer.get(l4Offset + 1) & 0xFF : -1;
    }

    /** True for an ICMP (v4) echo request/reply or ICMPv6 echo request/reply. */
    public boolean isIcmpEcho() {
        if (!isIcmp()) {
            return false;
        }
        int type = icmpType();
        return version == 4
            ? type == IcmpHeader.V4_ECHO_REQUEST || type == IcmpHeader.V4_ECHO_REPLY
            : type == IcmpHeader.V6_ECHO_REQUEST || type == IcmpHeader.V6_ECHO_REPLY;
    }

    /** IPv4 source address (0 for IPv6). */
    public int ipv4Source() {
        return version == 4 ? buffer.getInt(offset + 12) : 0;
    }

    /** IPv4 destination address (0 for IPv6). */
    public int ipv4Destination() {
        return version == 4 ? buffer.getInt(offset + 16) : 0;
    }

    /** Sets the IPv4 source address, updating the header checksum and the TCP/UDP checksum. */
    public InnerPacket ipv4Source(int address) {
        rewriteIpv4Address(offset + 12, address);
        return this;
    }

    /** Sets the IPv4 destination address, updating the header checksum and the TCP/UDP checksum. */
    public InnerPacket ipv4Destination(int address) {
        rewriteIpv4Address(offset + 16, address);
        return this;
    }

    private void rewriteIpv4Address(int at, int address) {
        if (version != 4) {
            return;
        }
        int old = buffer.getInt(at);
        buffer.putInt(at, address);
        ipv4.checksum(Checksums.incrementalUpdate32(ipv4.checksum(), old, address));
        adjustTransportChecksum(old >>> 16, address >>> 16);
        adjustTransportChecksum(old & 0xFFFF, address & 0xFFFF);
    }

    // The TCP/UDP checksum covers the pseudo-header, so address and port rewrites both land here.
    private void adjustTransportChecksum(int oldWord, int newWord) {
        if (isTcp()) {
            tcp.checksum(Checksums.incrementalUpdate(tcp.checksum(), oldWord, newWord));
        } else if (isUdp()) {
            int checksum = udp.checksum();
            if (checksum == 0 && version == 4) {
                return; // no checksum in use
            }
            int updated = Checksums.incrementalUpdate(checksum, oldWord, newWord);
            udp.checksum(updated == 0 ? 0xFFFF : updated);
        }
    }

    /** First 8 bytes of the IPv6 source address (0 for IPv4). */
    public long ipv6SourceHigh() {
        return version == 6 ? buffer.getLong(offset + 8) : 0L;
    }

    /** Last 8 bytes of the IPv6 source address (0 for IPv4). */
    public long ipv6SourceLow() {
        return version == 6 ? buffer.getLong(offset + 16) : 0L;
    }

    /** First 8 bytes of the IPv6 destination address (0 for IPv4). */
    public long ipv6DestinationHigh() {
        return version == 6 ? buffer.getLong(offset + 24) : 0L;
    }

    /** Last 8 bytes of the IPv6 destination address (0 for IPv4). */
    public long ipv6DestinationLow() {
        return version == 6 ? buffer.getLong(offset + 32) : 0L;
    }

    /**
     * Copies the source address into {@code target} (4 bytes for IPv4, 16 for IPv6) and returns
     * how many bytes were copied.
     */
    public int copySourceAddress(byte[] target) {
        return copyAddress(version == 4 ? offset + 12 : offset + 8, target);
    }

    /** Copies the destination address into {@code target}; see {@link #copySourceAddress}. */
    public int copyDestinationAddress(byte[] target) {
        return copyAddress(version == 4 ? offset + 16 : offset + 24, target);
    }

    private int copyAddress(int at, byte[] target) {
        int size = version == 4 ? 4 : 16;
        buffer.get(at, target, 0, size);
        return size;
    }

    /** The DSCP (IPv4 TOS or IPv6 traffic class, upper 6 bits). */
    public int dscp() {
        return version == 4 ? ipv4.dscp() : ipv6.dscp();
    }

    /** Sets the DSCP; for IPv4 the header checksum is updated. */
    public InnerPacket dscp(int dscp) {
        if (version == 4) {
            int old = buffer.getShort(offset) & 0xFFFF;
            ipv4.dscp(dscp);
            ipv4.checksum(Checksums.incrementalUpdate(ipv4.checksum(), old, buffer.getShort(offset) & 0xFFFF));
        } else if (version == 6) {
            ipv6.dscp(dscp);
        }
        return this;
    }

    /** IPv4 TTL or IPv6 hop limit. */
    public int ttl() {
        return version == 4 ? ipv4.ttl() : ipv6.hopLimit();
    }

    /** Sets the IPv4 TTL (updating the header checksum) or the IPv6 hop limit. */
    public InnerPacket ttl(int ttl) {
        if (version == 4) {
            int old = buffer.getShort(offset + 8) & 0xFFFF;
            ipv4.ttl(ttl);
            ipv4.checksum(Checksums.incrementalUpdate(ipv4.checksum(), old, buffer.getShort(offset + 8) & 0xFFFF));
        } else if (version == 6) {
            ipv6.hopLimit(ttl);
        }
        return this;
    }

    /**
     * After a function grew or shrank the packet in place (the new bytes already in the buffer),
     * writes the new length into the IPv4 total length or IPv6 payload length and, for an
     * unfragmented UDP datagram, the UDP length; then re-validates the packet over
     * {@code newLength} bytes and, when that succeeds, recomputes the IPv4 header checksum and the
     * TCP/UDP/ICMP checksum ({@link Checksums#updateAll}).
     *
     * @return the result of re-wrapping; on anything but OK the packet must be dropped (for
     *     example the new length cuts the transport header, or exceeds 65535)
     */
    public WireError resize(int newLength) {
        if (version == 0) {
            return WireError.BAD_IP_VERSION;
        }
        int ipHeaderEnd = l4Offset - offset;
        boolean fixUdp = isUdp() && !fragment;
        int udpAt = l4Offset;
        if (newLength < ipHeaderEnd || newLength > 0xFFFF + (version == 6 ? Ipv6Header.LENGTH : 0)
            || newLength > buffer.limit() - offset) {
            return WireError.INNER_LENGTH_MISMATCH;
        }
        if (version == 4) {
            ipv4.totalLength(newLength);
        } else {
            ipv6.payloadLength(newLength - Ipv6Header.LENGTH);
        }
        if (fixUdp) {
            buffer.putShort(udpAt + 4, (short) (newLength - ipHeaderEnd));
        }
        WireError error = wrap(buffer, offset, newLength);
        if (error == WireError.OK) {
            Checksums.updateAll(buffer, this);
        }
        return error;
    }

    @Override
    public String toString() {
        return "InnerPacket{v" + version + ", proto=" + protocol + ", len=" + length + ", sport=" + sourcePort()
            + ", dport=" + destinationPort() + '}';
    }
}
