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
}
