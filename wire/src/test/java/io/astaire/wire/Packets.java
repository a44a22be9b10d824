package io.astaire.wire;

import java.nio.ByteBuffer;

/**
 * Builds inner packets and outer frames for tests, with correct lengths and checksums. Written
 * independently of the views under test (plain byte writes), apart from the checksum arithmetic,
 * which the tshark interop test checks against tshark's own verification.
 */
final class Packets {

    static final int ETHERNET = 14;
    static final int OUTER = ETHERNET + 20 + 8;

    private Packets() {
    }

    static int ipv4(int a, int b, int c, int d) {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    /** IPv4 + UDP with a payload of {@code payload} bytes (values 0, 1, 2...) at {@code offset}; returns its length. */
    static int ipv4Udp(ByteBuffer buf, int offset, int src, int dst, int sport, int dport, int payload) {
        int total = 20 + 8 + payload;
        ipv4Header(buf, offset, 20, total, 17, src, dst);
        int l4 = offset + 20;
        buf.putShort(l4, (short) sport);
        buf.putShort(l4 + 2, (short) dport);
        buf.putShort(l4 + 4, (short) (8 + payload));
        buf.putShort(l4 + 6, (short) 0);
        fillPayload(buf, l4 + 8, payload);
        fixChecksums(buf, offset, total);
        return total;
    }

    /** IPv4 + TCP (SYN|ACK, with {@code tcpOptions} bytes of NOP options) and payload; returns its length. */
    static int ipv4Tcp(ByteBuffer buf, int offset, int src, int dst, int sport, int dport, int tcpOptions, int payload) {
        int tcpHeader = 20 + tcpOptions;
        int total = 20 + tcpHeader + payload;
        ipv4Header(buf, offset, 20, total, 6, src, dst);
        tcpHeader(buf, offset + 20, sport, dport, tcpOptions);
        fillPayload(buf, offset + 20 + tcpHeader, payload);
        fixChecksums(buf, offset, total);
        return total;
    }

    /** IPv4 + ICMP echo request; returns its length. */
    static int ipv4IcmpEcho(ByteBuffer buf, int offset, int src, int dst, int id, int seq, int payload) {
        int total = 20 + 8 + payload;
        ipv4Header(buf, offset, 20, total, 1, src, dst);
        int l4 = offset + 20;
        buf.put(l4, (byte) 8);
        buf.put(l4 + 1, (byte) 0);
        buf.putShort(l4 + 2, (short) 0);
        buf.putShort(l4 + 4, (short) id);
        buf.putShort(l4 + 6, (short) seq);
        fillPayload(buf, l4 + 8, payload);
        fixChecksums(buf, offset, total);
        return total;
    }

    static void ipv4Header(ByteBuffer buf, int offset, int headerLength, int total, int protocol, int src, int dst) {
        buf.put(offset, (byte) (0x40 | (headerLength / 4)));
        buf.put(offset + 1, (byte) 0);
        buf.putShort(offset + 2, (short) total);
        buf.putShort(offset + 4, (short) 0x1234);
        buf.putShort(offset + 6, (short) 0x4000);
        buf.put(offset + 8, (byte) 64);
        buf.put(offset + 9, (byte) protocol);
        buf.putShort(offset + 10, (short) 0);
        buf.putInt(offset + 12, src);
        buf.putInt(offset + 16, dst);
        for (int i = 20; i < headerLength; i++) {
            buf.put(offset + i, (byte) 1); // NOP options
        }
    }

    static void tcpHeader(ByteBuffer buf, int at, int sport, int dport, int options) {
        buf.putShort(at, (short) sport);
        buf.putShort(at + 2, (short) dport);
        buf.putInt(at + 4, 0x01020304);
        buf.putInt(at + 8, 0x0A0B0C0D);
        buf.put(at + 12, (byte) (((20 + options) / 4) << 4));
        buf.put(at + 13, (byte) 0x12);
        buf.putShort(at + 14, (short) 65535);
        buf.putShort(at + 16, (short) 0);
        buf.putShort(at + 18, (short) 0);
        for (int i = 0; i < options; i++) {
            buf.put(at + 20 + i, (byte) 1);
        }
    }

    /** IPv6 with the given extension header bytes (already chained) and a UDP datagram; returns its length. */
    static int ipv6Udp(ByteBuffer buf, int offset, long[] src, long[] dst, int sport, int dport, int payload,
                       int firstNextHeader, byte[] extensions) {
        int udpLength = 8 + payload;
        int total = 40 + extensions.length + udpLength;
        ipv6Header(buf, offset, total - 40, firstNextHeader, src, dst);
        buf.put(offset + 40, ByteBuffer.wrap(extensions), 0, extensions.length);
        int l4 = offset + 40 + extensions.length;
        buf.putShort(l4, (short) sport);
        buf.putShort(l4 + 2, (short) dport);
        buf.putShort(l4 + 4, (short) udpLength);
        buf.putShort(l4 + 6, (short) 0);
        fillPayload(buf, l4 + 8, payload);
        fixChecksums(buf, offset, total);
        return total;
    }

    static int ipv6Tcp(ByteBuffer buf, int offset, long[] src, long[] dst, int sport, int dport, int payload) {
        int total = 40 + 20 + payload;
        ipv6Header(buf, offset, total - 40, 6, src, dst);
        tcpHeader(buf, offset + 40, sport, dport, 0);
        fillPayload(buf, offset + 60, payload);
        fixChecksums(buf, offset, total);
        return total;
    }

    static int ipv6IcmpEcho(ByteBuffer buf, int offset, long[] src, long[] dst, int id, int seq) {
        int total = 40 + 8;
        ipv6Header(buf, offset, 8, 58, src, dst);
        int l4 = offset + 40;
        buf.put(l4, (byte) 128);
        buf.put(l4 + 1, (byte) 0);
        buf.putShort(l4 + 2, (short) 0);
        buf.putShort(l4 + 4, (short) id);
        buf.putShort(l4 + 6, (short) seq);
        fixChecksums(buf, offset, total);
        return total;
    }

    static void ipv6Header(ByteBuffer buf, int offset, int payloadLength, int nextHeader, long[] src, long[] dst) {
        buf.putInt(offset, 0x60000000);
        buf.putShort(offset + 4, (short) payloadLength);
        buf.put(offset + 6, (byte) nextHeader);
        buf.put(offset + 7, (byte) 64);
        buf.putLong(offset + 8, src[0]);
        buf.putLong(offset + 16, src[1]);
        buf.putLong(offset + 24, dst[0]);
        buf.putLong(offset + 32, dst[1]);
    }

    static void fillPayload(ByteBuffer buf, int at, int length) {
        for (int i = 0; i < length; i++) {
            buf.put(at + i, (byte) i);
        }
    }

    static void fixChecksums(ByteBuffer buf, int offset, int total) {
        InnerPacket packet = new InnerPacket();
        WireError error = packet.wrap(buf, offset, total);
        if (error != WireError.OK) {
            throw new IllegalStateException("test packet invalid: " + error);
        }
        Checksums.updateAll(buf, packet);
    }

    /**
     * Writes Ethernet + IPv4 + UDP (to port {@code dport}) around the {@code payloadLength}
     * bytes already at {@code offset + OUTER}; returns the frame length.
     */
    static int outerFrame(ByteBuffer buf, int offset, int payloadLength, int dport) {
        for (int i = 0; i < 6; i++) {
            buf.put(offset + i, (byte) (0x02 + i));
            buf.put(offset + 6 + i, (byte) (0x12 + i));
        }
        buf.putShort(offset + 12, (short) 0x0800);
        int ip = offset + ETHERNET;
        int total = 20 + 8 + payloadLength;
        ipv4Header(buf, ip, 20, total, 17, ipv4(192, 0, 2, 1), ipv4(192, 0, 2, 2));
        buf.putShort(ip + 10, (short) Checksums.ipv4Header(buf, ip, 20));
        buf.putShort(ip + 20, (short) 40000);
        buf.putShort(ip + 22, (short) dport);
        buf.putShort(ip + 24, (short) (8 + payloadLength));
        buf.putShort(ip + 26, (short) 0); // no outer UDP checksum, as VXLAN senders commonly do
        return ETHERNET + total;
    }

    static String hex(ByteBuffer buf, int offset, int length) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append(String.format("%02x", buf.get(offset + i) & 0xFF));
        }
        return text.toString();
    }

    static ByteBuffer fromHex(String hex) {
        String clean = hex.replaceAll("[^0-9a-fA-F]", "");
        ByteBuffer buf = ByteBuffer.allocate(clean.length() / 2);
        for (int i = 0; i < buf.capacity(); i++) {
            buf.put(i, (byte) Integer.parseInt(clean.substring(2 * i, 2 * i + 2), 16));
        }
        return buf;
    }
}
