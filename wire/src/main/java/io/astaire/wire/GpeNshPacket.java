package io.astaire.wire;

import java.nio.ByteBuffer;

/**
 * A view over a whole VXLAN-GPE datagram (the UDP payload): VXLAN-GPE, NSH, inner packet.
 *
 * <pre>
 * | VXLAN-GPE 8 B | NSH 8 B base + SPI/SI | context (MD1 16 B / MD2 TLVs) | inner packet ... |
 * ^ offset                                                              ^ innerOffset()
 * </pre>
 *
 * Decapsulation is {@link #wrap}: the inner packet stays where it is and is addressed by
 * {@link #innerOffset()} / {@link #innerLength()}. Encapsulation ({@link #encapsulateMd1},
 * {@link #encapsulateMd2}) writes the headers into the headroom in front of an inner packet that
 * was received at an offset, so the packet is never copied. One instance per worker thread;
 * nothing is allocated per packet.
 */
public final class GpeNshPacket {

    /** Headroom an MD type 1 encapsulation needs in front of the inner packet (8 GPE + 24 NSH). */
    public static final int HEADROOM_MD1 = VxlanGpeHeader.LENGTH + NshHeader.MD1_LENGTH;
    /** The most headroom any encapsulation can need (8 GPE + 252 NSH). */
    public static final int MAX_HEADROOM = VxlanGpeHeader.LENGTH + NshHeader.MAX_LENGTH;

    private final VxlanGpeHeader gpe = new VxlanGpeHeader();
    private final NshHeader nsh = new NshHeader();
    private ByteBuffer buffer;
    private int offset;
    private int length;
    private int innerOffset;
    private int innerLength;

    /**
     * Points this view at the datagram of {@code length} bytes at {@code offset} and validates the
     * VXLAN-GPE header (next protocol must be NSH) and the NSH. The inner packet is not checked
     * (see {@link InnerPacket#wrap}). On anything but {@link WireError#OK} the view must not be
     * used; on OK, {@code innerOffset() + innerLength() == offset + length} and both lie inside
     * the buffer's limit.
     */
    public WireError wrap(ByteBuffer buffer, int offset, int length) {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        this.innerOffset = offset;
        this.innerLength = 0;
        if (offset < 0 || length < 0 || offset > buffer.limit() || length > buffer.limit() - offset) {
            return WireError.TRUNCATED;
        }
        WireError error = gpe.wrap(buffer, offset).validate(length);
        if (error != WireError.OK) {
            return error;
        }
        if (gpe.nextProtocol() != VxlanGpeHeader.NEXT_PROTOCOL_NSH) {
            return WireError.GPE_NOT_NSH;
        }
        error = nsh.wrap(buffer, offset + VxlanGpeHeader.LENGTH).validate(length - VxlanGpeHeader.LENGTH);
        if (error != WireError.OK) {
            return error;
        }
        int headers = VxlanGpeHeader.LENGTH + nsh.lengthBytes();
        innerOffset = offset + headers;
        innerLength = length - headers;
        return WireError.OK;
    }

    /** The VXLAN-GPE header of the wrapped datagram. */
    public VxlanGpeHeader gpe() {
        return gpe;
    }

    /** The NSH of the wrapped datagram. */
    public NshHeader nsh() {
        return nsh;
    }

    /** The buffer this view reads. */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Where the datagram (the VXLAN-GPE header) starts. */
    public int offset() {
        return offset;
    }

    /** The datagram's length in bytes, headers included. */
    public int length() {
        return length;
    }

    /** Where the inner packet starts. */
    public int innerOffset() {
        return innerOffset;
    }

    /** The inner packet's length in bytes. */
    public int innerLength() {
        return innerLength;
    }

    /** Bytes of VXLAN-GPE and NSH in front of the inner packet. */
    public int headerLength() {
        return innerOffset - offset;
    }

    /**
     * Writes VXLAN-GPE (I and P set, VNI 0, next protocol NSH) and an MD type 1 NSH (zero context)
     * into the {@value #HEADROOM_MD1} bytes just before {@code innerOffset}.
     *
     * @return the offset where the datagram now starts (its length is {@code innerLength + 32}),
     *     or -1 when there is not enough headroom before {@code innerOffset} or room after it
     */
    public static int encapsulateMd1(ByteBuffer buffer, int innerOffset, int innerLength, int spi, int si, int ttl,
                                     int nextProtocol) {
        int start = innerOffset - HEADROOM_MD1;
        if (start < 0 || innerLength < 0 || innerLength > buffer.limit() - innerOffset) {
            return -1;
        }
        writeGpe(buffer, start);
        writeNsh(buffer, start, NshHeader.MD1_LENGTH, NshHeader.MD_TYPE_1, spi, si, ttl, nextProtocol);
        buffer.putLong(start + VxlanGpeHeader.LENGTH + 8, 0L);
        buffer.putLong(start + VxlanGpeHeader.LENGTH + 16, 0L);
        return start;
    }

    /**
     * Writes VXLAN-GPE and an MD type 2 NSH whose context headers are {@code tlvLength} bytes
     * already in wire form (class, type, length, padded value: for example copied from a received
     * NSH, or built with {@link NshHeader#appendTlv}) just before {@code innerOffset}.
     *
     * @return the offset where the datagram now starts (its length is
     *     {@code innerLength + 16 + tlvLength}), or -1 when the headroom is too small
     * @throws IllegalArgumentException if {@code tlvLength} is negative, not a multiple of 4 or
     *     more than 244 bytes
     */
    public static int encapsulateMd2(ByteBuffer buffer, int innerOffset, int innerLength, int spi, int si, int ttl,
                                     int nextProtocol, ByteBuffer tlvs, int tlvOffset, int tlvLength) {
        if (tlvLength < 0 || (tlvLength & 3) != 0 || tlvLength > NshHeader.MAX_LENGTH - NshHeader.BASE_LENGTH) {
            throw new IllegalArgumentException("TLV bytes " + tlvLength + " (multiple of 4, at most 244)");
        }
        int nshLength = NshHeader.BASE_LENGTH + tlvLength;
        int start = innerOffset - VxlanGpeHeader.LENGTH - nshLength;
        if (start < 0 || innerLength < 0 || innerLength > buffer.limit() - innerOffset) {
            return -1;
        }
        writeGpe(buffer, start);
        writeNsh(buffer, start, nshLength, NshHeader.MD_TYPE_2, spi, si, ttl, nextProtocol);
        if (tlvLength > 0) {
            buffer.put(start + VxlanGpeHeader.LENGTH + NshHeader.BASE_LENGTH, tlvs, tlvOffset, tlvLength);
        }
        return start;
    }

    private static void writeGpe(ByteBuffer buffer, int start) {
        buffer.putInt(start, ((VxlanGpeHeader.FLAG_I | VxlanGpeHeader.FLAG_P) << 24) | VxlanGpeHeader.NEXT_PROTOCOL_NSH);
        buffer.putInt(start + 4, 0);
    }

    private static void writeNsh(ByteBuffer buffer, int start, int nshLength, int mdType, int spi, int si, int ttl,
                                 int nextProtocol) {
        int at = start + VxlanGpeHeader.LENGTH;
        int word0 = ((ttl & 0x3F) << 22) | (((nshLength / 4) & 0x3F) << 16) | ((mdType & 0xF) << 8) | (nextProtocol & 0xFF);
        buffer.putInt(at, word0);
        buffer.putInt(at + 4, ((spi & 0xFFFFFF) << 8) | (si & 0xFF));
    }
}
