package io.astaire.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight over an IPv4 header (RFC 791). Setters write the field only; checksums are the
 * caller's business (see {@link InnerPacket} for setters that keep them right, and
 * {@link Checksums}).
 */
public final class Ipv4Header {

    /** Size of a header without options. */
    public static final int MIN_LENGTH = 20;

    private ByteBuffer buffer;
    private int offset;

    /** Points this flyweight at the header at {@code offset}. */
    public Ipv4Header wrap(ByteBuffer buffer, int offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Where the header starts. */
    public int offset() {
        return offset;
    }

    /** The version nibble (4). */
    public int version() {
        return (buffer.get(offset) >> 4) & 0xF;
    }

    /** The IHL field in 4-byte words. */
    public int ihl() {
        return buffer.get(offset) & 0xF;
    }

    /** The header length in bytes, options included. */
    public int headerLength() {
        return ihl() * 4;
    }

    /** The 6-bit DSCP. */
    public int dscp() {
        return (buffer.get(offset + 1) >> 2) & 0x3F;
    }

    /** Sets the DSCP, keeping ECN. */
    public Ipv4Header dscp(int dscp) {
        buffer.put(offset + 1, (byte) (((dscp & 0x3F) << 2) | (buffer.get(offset + 1) & 0x3)));
        return this;
    }

    /** The 2-bit ECN. */
    public int ecn() {
        return buffer.get(offset + 1) & 0x3;
    }

    /** The total length field. */
    public int totalLength() {
        return buffer.getShort(offset + 2) & 0xFFFF;
    }

    /** Sets the total length field. */
    public Ipv4Header totalLength(int length) {
        buffer.putShort(offset + 2, (short) length);
        return this;
    }

    /** The identification field. */
    public int identification() {
        return buffer.getShort(offset + 4) & 0xFFFF;
    }

    /** Sets the identification field. */
    public Ipv4Header identification(int identification) {
        buffer.putShort(offset + 4, (short) identification);
        return this;
    }

    /** The DF flag. */
    public boolean dontFragment() {
        return (buffer.get(offset + 6) & 0x40) != 0;
    }

    /** The MF flag. */
    public boolean moreFragments() {
        return (buffer.get(offset + 6) & 0x20) != 0;
    }

    /** The fragment offset in 8-byte units. */
    public int fragmentOffset() {
        return buffer.getShort(offset + 6) & 0x1FFF;
    }

    /** The TTL. */
    public int ttl() {
        return buffer.get(offset + 8) & 0xFF;
    }

    /** Sets the TTL. */
    public Ipv4Header ttl(int ttl) {
        buffer.put(offset + 8, (byte) ttl);
        return this;
    }

    /** The protocol (6 TCP, 17 UDP, 1 ICMP). */
    public int protocol() {
        return buffer.get(offset + 9) & 0xFF;
    }

    /** The header checksum field. */
    public int checksum() {
        return buffer.getShort(offset + 10) & 0xFFFF;
    }

    /** Sets the header checksum field. */
    public Ipv4Header checksum(int checksum) {
        buffer.putShort(offset + 10, (short) checksum);
        return this;
    }

    /** The source address. */
    public int source() {
        return buffer.getInt(offset + 12);
    }

    /** Sets the source address. */
    public Ipv4Header source(int address) {
        buffer.putInt(offset + 12, address);
        return this;
    }

    /** The destination address. */
    public int destination() {
        return buffer.getInt(offset + 16);
    }

    /** Sets the destination address. */
    public Ipv4Header destination(int address) {
        buffer.putInt(offset + 16, address);
        return this;
    }
}
