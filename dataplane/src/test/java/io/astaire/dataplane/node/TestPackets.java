package io.astaire.dataplane.node;

import io.astaire.wire.Checksums;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** Builds real VXLAN-GPE + NSH MD1 datagrams around IPv4/UDP packets for node tests. */
final class TestPackets {

    private TestPackets() {}

    /** An IPv4/UDP packet with correct checksums and a payload (at least 4 bytes) that starts with {@code seed}. */
    static byte[] udp4(int src, int dst, int srcPort, int dstPort, int payloadLength, int seed) {
        int total = 20 + 8 + payloadLength;
        ByteBuffer b = ByteBuffer.allocate(total);
        b.put(0, (byte) 0x45);
        b.putShort(2, (short) total);
        b.putShort(4, (short) seed);
        b.put(8, (byte) 64);
        b.put(9, (byte) 17);
        b.putInt(12, src);
        b.putInt(16, dst);
        b.putShort(20, (short) srcPort);
        b.putShort(22, (short) dstPort);
        b.putShort(24, (short) (8 + payloadLength));
        for (int i = 0; i < payloadLength; i++) {
            b.put(28 + i, (byte) (seed * 7 + i));
        }
        b.putInt(28, seed); // the payload starts with the seed, so a sink can tell packets apart
        b.putShort(10, (short) Checksums.ipv4Header(b, 0, 20));
        InnerPacket p = new InnerPacket();
        if (p.wrap(b, 0, total) != WireError.OK) {
            throw new IllegalStateException("test packet does not decode");
        }
        b.putShort(26, (short) Checksums.transport(b, p));
        return b.array();
    }

    /** GPE + NSH MD1 (SPI, SI, TTL) + {@code inner}. */
    static byte[] nsh(int spi, int si, int ttl, byte[] inner) {
        ByteBuffer b = ByteBuffer.allocate(GpeNshPacket.HEADROOM_MD1 + inner.length);
        b.put(GpeNshPacket.HEADROOM_MD1, inner);
        int start = GpeNshPacket.encapsulateMd1(b, GpeNshPacket.HEADROOM_MD1, inner.length, spi, si, ttl, NshHeader.NEXT_PROTOCOL_IPV4);
        if (start != 0) {
            throw new IllegalStateException("encapsulation failed");
        }
        return b.array();
    }

    /** What a sink saw: the NSH fields and the inner packet. */
    record Received(int spi, int si, int ttl, int context0, byte[] inner, String at) {
        int innerSeed() {
            return ByteBuffer.wrap(inner).getInt(28);
        }

        @Override
        public String toString() {
            return "spi=" + spi + " si=" + si + " ttl=" + ttl + " ctx0=" + context0 + " inner=" + inner.length + "B at " + at;
        }
    }

    static Received decode(byte[] datagram, String at) {
        ByteBuffer b = ByteBuffer.wrap(datagram);
        GpeNshPacket p = new GpeNshPacket();
        WireError e = p.wrap(b, 0, datagram.length);
        if (e != WireError.OK) {
            throw new AssertionError("sink got a malformed datagram: " + e);
        }
        NshHeader nsh = p.nsh();
        return new Received(nsh.spi(), nsh.si(), nsh.ttl(), nsh.md1Context(0),
                Arrays.copyOfRange(datagram, p.innerOffset(), p.innerOffset() + p.innerLength()), at);
    }

    static int ip(String dotted) {
        String[] p = dotted.split("\\.");
        return (Integer.parseInt(p[0]) << 24) | (Integer.parseInt(p[1]) << 16) | (Integer.parseInt(p[2]) << 8) | Integer.parseInt(p[3]);
    }
}
