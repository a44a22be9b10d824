package io.astaire.bench;

import io.astaire.wire.Checksums;
import java.nio.ByteBuffer;

/** Builds the inner packets the benchmarks push through the packet path. */
final class Packets {
    private Packets() {}

    /** Writes an IPv4/UDP packet with {@code payload} bytes at {@code offset}; returns its length. */
    static int ipv4Udp(ByteBuffer buf, int offset, int source, int destination, int sourcePort, int destinationPort, int payload) {
        int total = 20 + 8 + payload;
        buf.put(offset, (byte) 0x45).put(offset + 1, (byte) 0).putShort(offset + 2, (short) total)
                .putInt(offset + 4, 0).put(offset + 8, (byte) 64).put(offset + 9, (byte) 17).putShort(offset + 10, (short) 0)
                .putInt(offset + 12, source).putInt(offset + 16, destination);
        buf.putShort(offset + 10, (short) Checksums.ipv4Header(buf, offset, 20));
        buf.putShort(offset + 20, (short) sourcePort).putShort(offset + 22, (short) destinationPort)
                .putShort(offset + 24, (short) (8 + payload)).putShort(offset + 26, (short) 0);
        for (int i = 0; i < payload; i++) {
            buf.put(offset + 28 + i, (byte) i);
        }
        return total;
    }

    /**
     * Writes an IPv4/TCP packet (ACK, timestamps option, DF) with {@code payload} bytes at
     * {@code offset} and correct checksums; returns its length. With {@code partial} the TCP
     * checksum field holds only the pseudo-header sum, as a TUN device with TUN_F_CSUM hands it over.
     */
    static int ipv4Tcp(ByteBuffer buf, int offset, int source, int destination, int sequence, int payload, boolean partial) {
        int tcpLength = 32 + payload;
        int total = 20 + tcpLength;
        buf.put(offset, (byte) 0x45).put(offset + 1, (byte) 0).putShort(offset + 2, (short) total)
                .putShort(offset + 4, (short) 0x1234).putShort(offset + 6, (short) 0x4000)
                .put(offset + 8, (byte) 64).put(offset + 9, (byte) 6).putShort(offset + 10, (short) 0)
                .putInt(offset + 12, source).putInt(offset + 16, destination);
        buf.putShort(offset + 10, (short) Checksums.ipv4Header(buf, offset, 20));
        int tcp = offset + 20;
        buf.putShort(tcp, (short) 40000).putShort(tcp + 2, (short) 5201).putInt(tcp + 4, sequence).putInt(tcp + 8, 777)
                .putShort(tcp + 12, (short) (8 << 12 | 0x10)).putShort(tcp + 14, (short) 501).putShort(tcp + 16, (short) 0)
                .putShort(tcp + 18, (short) 0)
                .putInt(tcp + 20, 0x0101080a).putInt(tcp + 24, 0x11223344).putInt(tcp + 28, 0x55667788); // NOP NOP TS
        for (int i = 0; i < payload; i++) {
            buf.put(tcp + 32 + i, (byte) (i * 7));
        }
        long pseudo = (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) + 6 + tcpLength;
        if (partial) {
            while ((pseudo >>> 16) != 0) {
                pseudo = (pseudo & 0xFFFF) + (pseudo >>> 16);
            }
            buf.putShort(tcp + 16, (short) pseudo);
        } else {
            buf.putShort(tcp + 16, (short) Checksums.finish(Checksums.partialSum(buf, tcp, tcpLength, pseudo)));
        }
        return total;
    }
}
