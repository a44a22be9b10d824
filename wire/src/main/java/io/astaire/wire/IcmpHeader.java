package io.astaire.wire;

import java.nio.ByteBuffer;

/** Flyweight over an ICMP (RFC 792) or ICMPv6 (RFC 4443) header: the first 8 bytes. */
public final class IcmpHeader {

    /** Bytes every ICMP message has: type, code, checksum, 4 type-specific bytes. */
    public static final int LENGTH = 8;
    /** ICMPv4 echo reply. */
    public static final int V4_ECHO_REPLY = 0;
    /** ICMPv4 echo request. */
    public static final int V4_ECHO_REQUEST = 8;
    /** ICMPv6 echo request. */
    public static final int V6_ECHO_REQUEST = 128;
    /** ICMPv6 echo reply. */
    public static final int V6_ECHO_REPLY = 129;

    private ByteBuffer buffer;
    private int offset;

    /** Points this flyweight at the header at {@code offset}. */
    public IcmpHeader wrap(ByteBuffer buffer, int offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Where the header starts. */
    public int offset() {
        return offset;
    }

    /** Message type. */
    public int type() {
        return buffer.get(offset) & 0xFF;
    }

    /** Message code. */
    public int code() {
        return buffer.get(offset + 1) & 0xFF;
    }

    /** Checksum field. */
    public int checksum() {
        return buffer.getShort(offset + 2) & 0xFFFF;
    }

    /** Sets the checksum field. */
    public IcmpHeader checksum(int checksum) {
        buffer.putShort(offset + 2, (short) checksum);
        return this;
    }

    /** Echo identifier (meaningful for echo request/reply). */
    public int identifier() {
        return buffer.getShort(offset + 4) & 0xFFFF;
    }

    /** Sets the echo identifier. */
    public IcmpHeader identifier(int identifier) {
        buffer.putShort(offset + 4, (short) identifier);
        return this;
    }

    /** Echo sequence number. */
    public int sequence() {
        return buffer.getShort(offset + 6) & 0xFFFF;
    }

    /** True for echo request/reply of either family. */
    public boolean isEcho() {
        int type = type();
        return type == V4_ECHO_REQUEST || type == V4_ECHO_REPLY || type == V6_ECHO_REQUEST || type == V6_ECHO_REPLY;
    }
}
