package io.astaire.dataplane.function;

import io.astaire.function.PacketContext;
import io.astaire.wire.Checksums;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.WireError;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Builds real VXLAN-GPE + NSH MD1 datagrams around IPv4/IPv6 TCP, UDP and ICMP packets (valid
 * checksums, written with the wire module's flyweights) and points a {@link PacketContext} at
 * them the way a node does after receiving one.
 */
public final class TestPacket {
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int ICMP = 1;

    private byte[] source = address("10.0.0.1");
    private byte[] destination = address("10.20.0.5");
    private int protocol = UDP;
    private int sourcePort = 40000;
    private int destinationPort = 53;
    private byte[] payload = "hello".getBytes(StandardCharsets.US_ASCII);
    private int ttl = 64;
    private int trafficClass;
    private int spi = 10;
    private int si = 255;
    private int room = 256;
    private boolean udpChecksum = true;
    private int tlvClass = -1;
    private int tlvType;
    private int tlvValue;

    public static TestPacket udp(String src, int sport, String dst, int dport) {
        return new TestPacket().from(src).to(dst).protocol(UDP).ports(sport, dport);
    }

    public static TestPacket tcp(String src, int sport, String dst, int dport) {
        return new TestPacket().from(src).to(dst).protocol(TCP).ports(sport, dport);
    }

    public static TestPacket icmp(String src, String dst) {
        TestPacket p = new TestPacket().from(src).to(dst);
        return p.protocol(p.source.length == 4 ? ICMP : 58).ports(0, 0);
    }

    public TestPacket from(String address) { source = address(address); return this; }
    public TestPacket to(String address) { destination = address(address); return this; }
    public TestPacket protocol(int number) { protocol = number; return this; }
    public TestPacket ports(int sport, int dport) { sourcePort = sport; destinationPort = dport; return this; }
    public TestPacket payload(String text) { payload = text.getBytes(StandardCharsets.UTF_8); return this; }
    public TestPacket payloadLength(int length) { payload = new byte[length]; return this; }
    public TestPacket ttl(int value) { ttl = value; return this; }
    /** The IPv4 TOS byte or IPv6 traffic class: DSCP << 2 | ECN. */
    public TestPacket trafficClass(int value) { trafficClass = value; return this; }
    public TestPacket spi(int value) { spi = value; return this; }
    public TestPacket si(int value) { si = value; return this; }
    /** Bytes free in the buffer after the inner packet (how much a function may grow it). */
    public TestPacket room(int bytes) { room = bytes; return this; }
    /** Sends MD type 2 with one 4-byte TLV instead of MD type 1. */
    public TestPacket md2Tlv(int metadataClass, int type, int value) {
        tlvClass = metadataClass;
        tlvType = type;
        tlvValue = value;
        return this;
    }

    /** IPv4 UDP only: send with checksum 0 (none). */
    public TestPacket withoutUdpChecksum() { udpChecksum = false; return this; }

    private static byte[] address(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    /** Builds the datagram and resets {@code context} over it as a node would; returns the context. */
    public PacketContext into(PacketContext context) {
        boolean v6 = source.length == 16;
        int l4Header = protocol == TCP ? 20 : protocol == UDP ? 8 : 8;
        int ipHeader = v6 ? 40 : 20;
        int innerLength = ipHeader + l4Header + payload.length;
        int innerOffset = GpeNshPacket.HEADROOM_MD1 + 4; // as if after a small receive prefix
        ByteBuffer buf = ByteBuffer.allocate(innerOffset + innerLength + room);
        int ip = innerOffset;
        if (v6) {
            buf.putInt(ip, 6 << 28 | (trafficClass & 0xff) << 20 | 0x12345);
            buf.putShort(ip + 4, (short) (innerLength - 40));
            buf.put(ip + 6, (byte) protocol);
            buf.put(ip + 7, (byte) ttl);
            buf.put(ip + 8, source);
            buf.put(ip + 24, destination);
        } else {
            buf.put(ip, (byte) 0x45);
            buf.put(ip + 1, (byte) trafficClass);
            buf.putShort(ip + 2, (short) innerLength);
            buf.putShort(ip + 4, (short) 0x1234);
            buf.putShort(ip + 6, (short) 0x4000); // DF
            buf.put(ip + 8, (byte) ttl);
            buf.put(ip + 9, (byte) protocol);
            buf.put(ip + 12, source);
            buf.put(ip + 16, destination);
        }
        int l4 = ip + ipHeader;
        if (protocol == TCP) {
            buf.putShort(l4, (short) sourcePort);
            buf.putShort(l4 + 2, (short) destinationPort);
            buf.putInt(l4 + 4, 1000);
            buf.put(l4 + 12, (byte) 0x50);
            buf.put(l4 + 13, (byte) 0x18); // PSH ACK
            buf.putShort(l4 + 14, (short) 65535);
        } else if (protocol == UDP) {
            buf.putShort(l4, (short) sourcePort);
            buf.putShort(l4 + 2, (short) destinationPort);
            buf.putShort(l4 + 4, (short) (8 + payload.length));
        } else {
            buf.put(l4, (byte) (v6 ? 128 : 8)); // echo request
            buf.putShort(l4 + 4, (short) 7); // identifier
            buf.putShort(l4 + 6, (short) 1); // sequence
        }
        buf.put(l4 + l4Header, payload);
        InnerPacket view = new InnerPacket();
        WireError error = view.wrap(buf, ip, innerLength);
        if (error != WireError.OK) {
            throw new IllegalStateException("test packet does not decode: " + error);
        }
        Checksums.updateAll(buf, view);
        if (!udpChecksum && protocol == UDP && !v6) {
            view.udp().checksum(0);
        }
        int nextProtocol = v6 ? NshHeader.NEXT_PROTOCOL_IPV6 : NshHeader.NEXT_PROTOCOL_IPV4;
        int start;
        if (tlvClass < 0) {
            start = GpeNshPacket.encapsulateMd1(buf, innerOffset, innerLength, spi, si, 63, nextProtocol);
        } else {
            ByteBuffer tlv = ByteBuffer.allocate(8).putShort(0, (short) tlvClass).put(2, (byte) tlvType).put(3, (byte) 4)
                    .putInt(4, tlvValue);
            start = GpeNshPacket.encapsulateMd2(buf, innerOffset, innerLength, spi, si, 63, nextProtocol, tlv, 0, 8);
        }
        // What a node does with a received datagram:
        GpeNshPacket datagram = new GpeNshPacket();
        error = datagram.wrap(buf, start, innerOffset - start + innerLength);
        if (error != WireError.OK) {
            throw new IllegalStateException("test datagram does not decode: " + error);
        }
        context.reset(buf, datagram.nsh().offset(), datagram.innerOffset(), datagram.innerLength(),
                buf.capacity() - datagram.innerOffset());
        if (context.innerError() != WireError.OK) {
            throw new IllegalStateException("inner packet does not decode: " + context.innerError());
        }
        return context;
    }

    /** A fresh context over the packet. */
    public PacketContext build() {
        return into(new PacketContext());
    }

    /** Asserts-by-exception that the context's inner packet has a right IPv4 header checksum and TCP/UDP checksum. */
    public static boolean checksumsValid(PacketContext ctx) {
        InnerPacket ip = ctx.inner();
        if (ctx.innerError() != WireError.OK) {
            return false;
        }
        ByteBuffer buf = ctx.buffer();
        if (ip.version() == 4 && !Checksums.verifyIpv4Header(buf, ctx.innerOffset(), ip.ipv4().headerLength())) {
            return false;
        }
        if (ip.isUdp()) {
            int field = ip.udp().checksum();
            return (field == 0 && ip.version() == 4) || field == Checksums.transport(buf, ip);
        }
        if (ip.isTcp()) {
            return ip.tcp().checksum() == Checksums.transport(buf, ip);
        }
        return true;
    }

    /** The UDP payload of the context's inner packet, as UTF-8. */
    public static String udpPayload(PacketContext ctx) {
        InnerPacket ip = ctx.inner();
        int at = ip.l4Offset() + 8;
        byte[] bytes = new byte[ctx.innerOffset() + ctx.innerLength() - at];
        ctx.buffer().get(at, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
