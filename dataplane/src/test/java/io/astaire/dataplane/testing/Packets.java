package io.astaire.dataplane.testing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Builds well-formed IPv4/IPv6 packets (ICMP echo, UDP, TCP SYN) with correct checksums, for
 * tests that inject packets into a TUN device or a classifier. Written independently of the wire
 * module so it can serve as a test oracle for it.
 */
public final class Packets {
    private Packets() {}

    public static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    /** An IPv4 ICMP echo request. */
    public static byte[] icmpEcho4(String src, String dst, int id, int seq, byte[] payload) {
        byte[] l4 = new byte[8 + payload.length];
        ByteBuffer b = ByteBuffer.wrap(l4);
        b.put(0, (byte) 8).put(1, (byte) 0).putShort(4, (short) id).putShort(6, (short) seq);
        b.put(8, payload);
        b.putShort(2, (short) checksum(l4, 0, l4.length, 0));
        return ipv4(src, dst, 1, l4);
    }

    /** An IPv4 UDP datagram. */
    public static byte[] udp4(String src, int sport, String dst, int dport, byte[] payload) {
        byte[] l4 = udp(sport, dport, payload);
        byte[] s = ip(src).getAddress();
        byte[] d = ip(dst).getAddress();
        ByteBuffer.wrap(l4).putShort(6, (short) l4Checksum(s, d, 17, l4));
        return ipv4(src, dst, 17, l4);
    }

    /** An IPv4 TCP segment with the given flags (0x02 = SYN) and no options. */
    public static byte[] tcp4(String src, int sport, String dst, int dport, int flags) {
        byte[] l4 = tcp(sport, dport, flags);
        ByteBuffer.wrap(l4).putShort(16, (short) l4Checksum(ip(src).getAddress(), ip(dst).getAddress(), 6, l4));
        return ipv4(src, dst, 6, l4);
    }

    /** An IPv6 UDP datagram. */
    public static byte[] udp6(String src, int sport, String dst, int dport, byte[] payload) {
        byte[] l4 = udp(sport, dport, payload);
        ByteBuffer.wrap(l4).putShort(6, (short) l4Checksum(ip(src).getAddress(), ip(dst).getAddress(), 17, l4));
        return ipv6(src, dst, 17, l4);
    }

    /** An IPv6 TCP segment. */
    public static byte[] tcp6(String src, int sport, String dst, int dport, int flags) {
        byte[] l4 = tcp(sport, dport, flags);
        ByteBuffer.wrap(l4).putShort(16, (short) l4Checksum(ip(src).getAddress(), ip(dst).getAddress(), 6, l4));
        return ipv6(src, dst, 6, l4);
    }

    private static byte[] udp(int sport, int dport, byte[] payload) {
        byte[] l4 = new byte[8 + payload.length];
        ByteBuffer.wrap(l4).putShort(0, (short) sport).putShort(2, (short) dport).putShort(4, (short) l4.length).put(8, payload);
        return l4;
    }

    private static byte[] tcp(int sport, int dport, int flags) {
        byte[] l4 = new byte[20];
        ByteBuffer.wrap(l4).putShort(0, (short) sport).putShort(2, (short) dport).putInt(4, 1000)
                .put(12, (byte) 0x50).put(13, (byte) flags).putShort(14, (short) 65535);
        return l4;
    }

    public static byte[] ipv4(String src, String dst, int protocol, byte[] l4) {
        byte[] p = new byte[20 + l4.length];
        ByteBuffer b = ByteBuffer.wrap(p);
        b.put(0, (byte) 0x45).putShort(2, (short) p.length).putShort(4, (short) 0x1234).putShort(6, (short) 0x4000)
                .put(8, (byte) 64).put(9, (byte) protocol).put(12, ip(src).getAddress()).put(16, ip(dst).getAddress());
        b.putShort(10, (short) checksum(p, 0, 20, 0));
        b.put(20, l4);
        return p;
    }

    public static byte[] ipv6(String src, String dst, int nextHeader, byte[] l4) {
        byte[] p = new byte[40 + l4.length];
        ByteBuffer b = ByteBuffer.wrap(p);
        b.putInt(0, 0x60000000).putShort(4, (short) l4.length).put(6, (byte) nextHeader).put(7, (byte) 64)
                .put(8, ip(src).getAddress()).put(24, ip(dst).getAddress()).put(40, l4);
        return p;
    }

    private static int l4Checksum(byte[] src, byte[] dst, int protocol, byte[] l4) {
        long sum = 0;
        sum = add(sum, src);
        sum = add(sum, dst);
        sum += protocol;
        sum += l4.length;
        int c = checksum(l4, 0, l4.length, sum);
        return c == 0 ? 0xffff : c;
    }

    private static long add(long sum, byte[] words) {
        for (int i = 0; i < words.length; i += 2) {
            sum += ((words[i] & 0xff) << 8) | (words[i + 1] & 0xff);
        }
        return sum;
    }

    /** The Internet checksum (RFC 1071) of {@code length} bytes from {@code offset}, seeded with {@code initial}. */
    public static int checksum(byte[] data, int offset, int length, long initial) {
        long sum = initial;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += ((data[offset + i] & 0xff) << 8) | (data[offset + i + 1] & 0xff);
        }
        if ((length & 1) != 0) {
            sum += (data[offset + length - 1] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
