package io.astaire.wire;

import java.nio.ByteBuffer;

/** Flyweight over a UDP header (RFC 768). */
public final class UdpHeader {

    /** Header size. */
    public static final int LENGTH = 8;

    private ByteBuffer buffer;
    private int offset;

    /** Points this flyweight at the header at {@code offset}. */
    public UdpHeader wrap(ByteBuffer buffer, int offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Where the header starts. */
    public int offset() {
        return offset;
    }

    /** Source port. */
    public int sourcePort() {
        return buffer.getShort(offset) & 0xFFFF;
    }

    /** Sets the source port. */
    public UdpHeader sourcePort(int port) {
        buffer.putShort(offset, (short) port);
        return this;
    }

    /** Destination port. */
    public int destinationPort() {
        return buffer.getShort(offset + 2) & 0xFFFF;
    }

    /** Sets the destination port. */
    public UdpHeader destinationPort(int port) {
        buffer.putShort(offset + 2, (short) port);
        return this;
    }

    /** Length field (header plus payload). */
    public int length() {
        return buffer.getShort(offset + 4) & 0xFFFF;
    }

    /** Sets the length field. */
    public UdpHeader length(int length) {
        buffer.putShort(offset + 4, (short) length);
        return this;
    }

    /** Checksum field (0 over IPv4 means none). */
    public int checksum() {
        return buffer.getShort(offset + 6) & 0xFFFF;
    }

    /** Sets the checksum field. */
    public UdpHeader checksum(int checksum) {
        buffer.putShort(offset + 6, (short) checksum);
        return this;
    }
}
