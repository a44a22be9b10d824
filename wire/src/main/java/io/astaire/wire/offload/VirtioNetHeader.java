package io.astaire.wire.offload;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Flyweight over a 10-byte {@code struct virtio_net_hdr} (what a TUN device with
 * {@code IFF_VNET_HDR} puts before every packet) in the host's byte order, whatever the order of
 * the buffer it is pointed at.
 */
public final class VirtioNetHeader {

    /** Size of the header (without the {@code num_buffers} of the mergeable variant). */
    public static final int LENGTH = 10;

    /** The L4 checksum field holds only the pseudo-header sum; it must be completed. */
    public static final int F_NEEDS_CSUM = 1;
    /** The checksum was already verified. */
    public static final int F_DATA_VALID = 2;

    /** No segmentation offload. */
    public static final int GSO_NONE = 0;
    /** TCP over IPv4 segmentation (TSO4). */
    public static final int GSO_TCPV4 = 1;
    /** UDP fragmentation offload (UFO), not supported. */
    public static final int GSO_UDP = 3;
    /** TCP over IPv6 segmentation (TSO6). */
    public static final int GSO_TCPV6 = 4;
    /** UDP segmentation (USO), IPv4 or IPv6. */
    public static final int GSO_UDP_L4 = 5;
    /** Flag added to a TCP gso type: the stream uses ECN, CWR is on the first segment only. */
    public static final int GSO_ECN = 0x80;

    private static final int FLAGS = 0;
    private static final int GSO_TYPE = 1;
    private static final int HDR_LEN = 2;
    private static final int GSO_SIZE = 4;
    private static final int CSUM_START = 6;
    private static final int CSUM_OFFSET = 8;

    private ByteBuffer buffer;
    private int offset;

    /** Points this flyweight at the header at {@code offset}. */
    public VirtioNetHeader wrap(ByteBuffer buffer, int offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Where the header starts. */
    public int offset() {
        return offset;
    }

    /** The flag byte ({@link #F_NEEDS_CSUM}, {@link #F_DATA_VALID}). */
    public int flags() {
        return buffer.get(offset + FLAGS) & 0xFF;
    }

    /** The gso type byte, {@link #GSO_ECN} included. */
    public int gsoType() {
        return buffer.get(offset + GSO_TYPE) & 0xFF;
    }

    /** Length of the headers (IP + L4) as the writer claims it. */
    public int hdrLen() {
        return getNative(HDR_LEN);
    }

    /** Payload bytes per segment. */
    public int gsoSize() {
        return getNative(GSO_SIZE);
    }

    /** Where, counted from the IP header, checksumming starts. */
    public int csumStart() {
        return getNative(CSUM_START);
    }

    /** Where, counted from {@link #csumStart()}, the checksum is stored. */
    public int csumOffset() {
        return getNative(CSUM_OFFSET);
    }

    /** Sets the flag byte. */
    public VirtioNetHeader flags(int value) {
        buffer.put(offset + FLAGS, (byte) value);
        return this;
    }

    /** Sets the gso type byte. */
    public VirtioNetHeader gsoType(int value) {
        buffer.put(offset + GSO_TYPE, (byte) value);
        return this;
    }

    /** Sets the header length. */
    public VirtioNetHeader hdrLen(int value) {
        putNative(HDR_LEN, value);
        return this;
    }

    /** Sets the segment payload size. */
    public VirtioNetHeader gsoSize(int value) {
        putNative(GSO_SIZE, value);
        return this;
    }

    /** Sets the checksum start. */
    public VirtioNetHeader csumStart(int value) {
        putNative(CSUM_START, value);
        return this;
    }

    /** Sets the checksum offset. */
    public VirtioNetHeader csumOffset(int value) {
        putNative(CSUM_OFFSET, value);
        return this;
    }

    /** Writes an all-zero header (no offload: the kernel checks the packet's checksums itself). */
    public static void writeNone(ByteBuffer buffer, int offset) {
        buffer.putLong(offset, 0L);
        buffer.putShort(offset + 8, (short) 0);
    }

    private int getNative(int field) {
        short value = buffer.getShort(offset + field);
        return (swapped(buffer) ? Short.reverseBytes(value) : value) & 0xFFFF;
    }

    private void putNative(int field, int value) {
        short raw = (short) value;
        buffer.putShort(offset + field, swapped(buffer) ? Short.reverseBytes(raw) : raw);
    }

    // The struct's u16 fields are in host order; absolute getShort uses the buffer's order.
    private static boolean swapped(ByteBuffer buffer) {
        return buffer.order() != ByteOrder.nativeOrder();
    }
}
