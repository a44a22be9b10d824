package io.astaire.wire;

import java.nio.ByteBuffer;

/** Flyweight over the fixed IPv6 header (RFC 8200); extension headers are walked by {@link InnerPacket}. */
public final class Ipv6Header {

    /** Size of the fixed header. */
    public static final int LENGTH = 40;

    private ByteBuffer buffer;
    private int offset;

    /** Points this flyweight at the header at {@code offset}. */
    public Ipv6Header wrap(ByteBuffer buffer, int offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Where the header starts. */
    public int offset() {
        return offset;
    }

    /** The version nibble (6). */
    public int version() {
        return (buffer.get(offset) >> 4) & 0xF;
    }

    /** The 8-bit traffic class. */
    public int trafficClass() {
        return (buffer.getShort(offset) >> 4) & 0xFF;
    }

    /** The 6-bit DSCP (upper bits of the traffic class). */
    public int dscp() {
        return trafficClass() >> 2;
    }

    /** Sets the DSCP, keeping version, ECN and flow label. */
    public Ipv6Header dscp(int dscp) {
        int word = buffer.getInt(offset);
        word = (word & ~(0x3F << 22)) | ((dscp & 0x3F) << 22);
        buffer.putInt(offset, word);
        return this;
    }

    /** The 20-bit flow label. */
    public int flowLabel() {
        return buffer.getInt(offset) & 0xFFFFF;
    }

    /** The payload length field (everything after the fixed header). */
    public int payloadLength() {
        return buffer.getShort(offset + 4) & 0xFFFF;
    }

    /** Sets the payload length field. */
    public Ipv6Header payloadLength(int length) {
        buffer.putShort(offset + 4, (short) length);
        return this;
    }

    /** The next header field of the fixed header. */
    public int nextHeader() {
        return buffer.get(offset + 6) & 0xFF;
    }

    /** The hop limit. */
    public int hopLimit() {
        return buffer.get(offset + 7) & 0xFF;
    }

    /** Sets the hop limit. */
    public Ipv6Header hopLimit(int hopLimit) {
        buffer.put(offset + 7, (byte) hopLimit);
        return this;
    }

    /** The first 8 bytes of the source address. */
    public long sourceHigh() {
        return buffer.getLong(offset + 8);
    }

    /** The last 8 bytes of the source address. */
    public long sourceLow() {
        return buffer.getLong(offset + 16);
    }

    /** The first 8 bytes of the destination address. */
    public long destinationHigh() {
        return buffer.getLong(offset + 24);
    }

    /** The last 8 bytes of the destination address. */
    public long destinationLow() {
        return buffer.getLong(offset + 32);
    }

    /** Sets the source address. */
    public Ipv6Header source(long high, long low) {
        buffer.putLong(offset + 8, high);
        buffer.putLong(offset + 16, low);
        return this;
    }

    /** Sets the destination address. */
    public Ipv6Header destination(long high, long low) {
        buffer.putLong(offset + 24, high);
        buffer.putLong(offset + 32, low);
        return this;
    }
}
