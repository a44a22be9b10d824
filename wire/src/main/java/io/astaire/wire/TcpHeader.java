package io.astaire.wire;

import java.nio.ByteBuffer;

/** Flyweight over a TCP header (RFC 9293). */
public final class TcpHeader {

    /** Size of a header without options. */
    public static final int MIN_LENGTH = 20;
    /** FIN flag. */
    public static final int FIN = 0x01;
    /** SYN flag. */
    public static final int SYN = 0x02;
    /** RST flag. */
    public static final int RST = 0x04;
    /** PSH flag. */
    public static final int PSH = 0x08;
    /** ACK flag. */
    public static final int ACK = 0x10;
    /** URG flag. */
    public static final int URG = 0x20;
    /** ECE flag (ECN echo). */
    public static final int ECE = 0x40;
    /** CWR flag (congestion window reduced). */
    public static final int CWR = 0x80;

    private ByteBuffer buffer;
    private int offset;

    /** Points this flyweight at the header at {@code offset}. */
    public TcpHeader wrap(ByteBuffer buffer, int offset) {
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
    public TcpHeader sourcePort(int port) {
        buffer.putShort(offset, (short) port);
        return this;
    }

    /** Destination port. */
    public int destinationPort() {
        return buffer.getShort(offset + 2) & 0xFFFF;
    }

    /** Sets the destination port. */
    public TcpHeader destinationPort(int port) {
        buffer.putShort(offset + 2, (short) port);
        return this;
    }

    /** Sequence number (unsigned 32 bits in an int). */
    public int sequence() {
        return buffer.getInt(offset + 4);
    }

    /** Sets the sequence number. */
    public TcpHeader sequence(int sequence) {
        buffer.putInt(offset + 4, sequence);
        return this;
    }

    /** Acknowledgement number. */
    public int acknowledgement() {
        return buffer.getInt(offset + 8);
    }

    /** Data offset in 4-byte words. */
    public int dataOffset() {
        return (buffer.get(offset + 12) >> 4) & 0xF;
    }

    /** Header length in bytes, options included. */
    public int headerLength() {
        return dataOffset() * 4;
    }

    /** The flag byte (FIN, SYN, RST, PSH, ACK, URG, ECE, CWR). */
    public int flags() {
        return buffer.get(offset + 13) & 0xFF;
    }

    /** Sets the flag byte. */
    public TcpHeader flags(int flags) {
        buffer.put(offset + 13, (byte) flags);
        return this;
    }

    /** Receive window. */
    public int window() {
        return buffer.getShort(offset + 14) & 0xFFFF;
    }

    /** Checksum field. */
    public int checksum() {
        return buffer.getShort(offset + 16) & 0xFFFF;
    }

    /** Sets the checksum field. */
    public TcpHeader checksum(int checksum) {
        buffer.putShort(offset + 16, (short) checksum);
        return this;
    }
}
