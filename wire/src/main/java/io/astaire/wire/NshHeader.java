package io.astaire.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight over a Network Service Header (RFC 8300): base header, service path header and
 * context headers.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver|O|U|    TTL    |   Length  |U|U|U|U|MD Type| Next Protocol |  base header
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Service Path Identifier (SPI)        | Service Index |  service path header
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            MD type 1: 16 bytes of fixed context               |
 * |            MD type 2: zero or more context headers (TLVs)     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * MD type 2 context header:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Metadata Class       |      Type     |U|    Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Variable-Length Metadata (padded to 4)      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * Length counts 4-byte words of the whole NSH (6 for MD type 1). TLV walking is by offset into
 * the buffer ({@link #firstTlv()}, {@link #nextTlv(int)}), so it allocates nothing. Accessors
 * trust the bytes: call {@link #validate(int)} first on anything received.
 */
public final class NshHeader {

    /** Base header plus service path header, in bytes. */
    public static final int BASE_LENGTH = 8;
    /** A whole MD type 1 header in bytes (base, service path, 16 bytes of context). */
    public static final int MD1_LENGTH = 24;
    /** Bytes of fixed context in MD type 1. */
    public static final int MD1_CONTEXT_LENGTH = 16;
    /** The largest NSH the 6-bit length field can describe, in bytes. */
    public static final int MAX_LENGTH = 63 * 4;
    /** Size of a TLV (context header) header before its value. */
    public static final int TLV_HEADER_LENGTH = 4;
    /** Largest TLV value the 7-bit length can describe. */
    public static final int MAX_TLV_VALUE_LENGTH = 127;

    /** MD type 1: fixed-length context. */
    public static final int MD_TYPE_1 = 1;
    /** MD type 2: variable-length context headers. */
    public static final int MD_TYPE_2 = 2;

    /** Next protocol: IPv4. */
    public static final int NEXT_PROTOCOL_IPV4 = 1;
    /** Next protocol: IPv6. */
    public static final int NEXT_PROTOCOL_IPV6 = 2;
    /** Next protocol: Ethernet. */
    public static final int NEXT_PROTOCOL_ETHERNET = 3;
    /** Next protocol: NSH. */
    public static final int NEXT_PROTOCOL_NSH = 4;
    /** Next protocol: MPLS. */
    public static final int NEXT_PROTOCOL_MPLS = 5;

    /** Largest TTL (6 bits). */
    public static final int MAX_TTL = 63;
    /** Largest SPI (24 bits). */
    public static final int MAX_SPI = 0xFFFFFF;

    private ByteBuffer buffer;
    private int offset;

    /** Points this flyweight at the NSH starting at {@code offset} of {@code buffer}. */
    public NshHeader wrap(ByteBuffer buffer, int offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** The buffer this view reads. */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Where the NSH starts in {@link #buffer()}. */
    public int offset() {
        return offset;
    }

    /**
     * Checks the NSH in the {@code available} bytes from {@link #offset()} (clamped to the buffer's
     * limit): base header present, version 0, MD type 1 or 2 with a length that fits it, the whole
     * header inside the bytes, a registered next protocol, and every MD type 2 TLV inside the
     * header. After {@link WireError#OK} every accessor and the TLV walk stay inside the header.
     */
    public WireError validate(int available) {
        if (offset < 0 || available < BASE_LENGTH || buffer.limit() - offset < BASE_LENGTH) {
            return WireError.TRUNCATED;
        }
        int bytes = Math.min(available, buffer.limit() - offset);
        if (version() != 0) {
            return WireError.BAD_VERSION;
        }
        int mdType = mdType();
        int length = lengthBytes();
        if (mdType == MD_TYPE_1) {
            if (length != MD1_LENGTH) {
                return WireError.BAD_LENGTH;
            }
        } else if (mdType == MD_TYPE_2) {
            if (length < BASE_LENGTH) {
                return WireError.BAD_LENGTH;
            }
        } else {
            return WireError.UNKNOWN_MD_TYPE;
        }
        if (length > bytes) {
            return WireError.BAD_LENGTH;
        }
        int next = nextProtocol();
        if (next < NEXT_PROTOCOL_IPV4 || next > NEXT_PROTOCOL_MPLS) {
            return WireError.UNKNOWN_NEXT_PROTOCOL;
        }
        if (mdType == MD_TYPE_2) {
            return validateTlvs(offset + BASE_LENGTH, offset + length);
        }
        return WireError.OK;
    }

    private WireError validateTlvs(int position, int end) {
        while (position < end) {
            if (end - position < TLV_HEADER_LENGTH) {
                return WireError.TLV_OVERRUN;
            }
            int wire = tlvWireLength(tlvLength(position));
            if (wire > end - position) {
                return WireError.TLV_OVERRUN;
            }
            position += wire;
        }
        return WireError.OK;
    }

    /** The 2-bit version (0 today). */
    public int version() {
        return (buffer.get(offset) >> 6) & 0x3;
    }

    /** The O bit: an OAM packet. */
    public boolean oBit() {
        return (buffer.get(offset) & 0x20) != 0;
    }

    /** Sets or clears the O bit. */
    public NshHeader oBit(boolean value) {
        int b = buffer.get(offset);
        buffer.put(offset, (byte) (value ? b | 0x20 : b & ~0x20));
        return this;
    }

    /** The 6-bit TTL, split across the first two bytes. */
    public int ttl() {
        return ((buffer.get(offset) & 0x0F) << 2) | ((buffer.get(offset + 1) >> 6) & 0x3);
    }

    /** Sets the 6-bit TTL (higher bits are ignored), leaving the neighbouring fields alone. */
    public NshHeader ttl(int ttl) {
        int b0 = buffer.get(offset) & 0xF0;
        int b1 = buffer.get(offset + 1) & 0x3F;
        buffer.put(offset, (byte) (b0 | ((ttl >> 2) & 0x0F)));
        buffer.put(offset + 1, (byte) (b1 | ((ttl & 0x3) << 6)));
        return this;
    }

    /** The length field: 4-byte words of the whole NSH. */
    public int length() {
        return buffer.get(offset + 1) & 0x3F;
    }

    /** Sets the length field in 4-byte words (6 bits). */
    public NshHeader length(int words) {
        int b1 = buffer.get(offset + 1) & 0xC0;
        buffer.put(offset + 1, (byte) (b1 | (words & 0x3F)));
        return this;
    }

    /** The whole NSH in bytes ({@code length() * 4}). */
    public int lengthBytes() {
        return length() * 4;
    }

    /** The 4-bit MD type. */
    public int mdType() {
        return buffer.get(offset + 2) & 0x0F;
    }

    /** Sets the 4-bit MD type; the unassigned bits before it are cleared. */
    public NshHeader mdType(int mdType) {
        buffer.put(offset + 2, (byte) (mdType & 0x0F));
        return this;
    }

    /** The next protocol (1 IPv4, 2 IPv6, 3 Ethernet). */
    public int nextProtocol() {
        return buffer.get(offset + 3) & 0xFF;
    }

    /** Sets the next protocol. */
    public NshHeader nextProtocol(int nextProtocol) {
        buffer.put(offset + 3, (byte) nextProtocol);
        return this;
    }

    /** The 24-bit service path identifier. */
    public int spi() {
        return buffer.getInt(offset + 4) >>> 8;
    }

    /** Sets the 24-bit SPI (higher bits are ignored). */
    public NshHeader spi(int spi) {
        buffer.putInt(offset + 4, ((spi & 0xFFFFFF) << 8) | (buffer.get(offset + 7) & 0xFF));
        return this;
    }

    /** The 8-bit service index. */
    public int si() {
        return buffer.get(offset + 7) & 0xFF;
    }

    /** Sets the 8-bit service index. */
    public NshHeader si(int si) {
        buffer.put(offset + 7, (byte) si);
        return this;
    }

    /** One of the four 32-bit words of MD type 1 fixed context ({@code word} 0..3). */
    public int md1Context(int word) {
        return buffer.getInt(md1WordOffset(word));
    }

    /** Sets one of the four 32-bit words of MD type 1 fixed context ({@code word} 0..3). */
    public NshHeader md1Context(int word, int value) {
        buffer.putInt(md1WordOffset(word), value);
        return this;
    }

    /**
     * MD type 1 context word 3 is Astaire's: the generation of the path the packet was sent on
     * (a fingerprint, see {@code ServicePath.generation()}), 0 for "unversioned". Functions own
     * words 0-2 only. An MD type 2 header has no such word: its generation is 0.
     */
    public static final int PATH_GENERATION_WORD = 3;

    /** The path generation this packet carries, 0 when none (MD type 2, or a sender that does not stamp). */
    public int pathGeneration() {
        return mdType() == MD_TYPE_1 ? buffer.getInt(offset + BASE_LENGTH + 4 * PATH_GENERATION_WORD) : 0;
    }

    /** Stamps the path generation (MD type 1 only; a no-op on MD type 2, which has no fixed context). */
    public NshHeader pathGeneration(int generation) {
        if (mdType() == MD_TYPE_1) {
            buffer.putInt(offset + BASE_LENGTH + 4 * PATH_GENERATION_WORD, generation);
        }
        return this;
    }

    private int md1WordOffset(int word) {
        if (word < 0 || word > 3) {
            throw new IndexOutOfBoundsException("MD type 1 context word " + word + " (0..3)");
        }
        return offset + BASE_LENGTH + 4 * word;
    }

    /** Where the context (MD1 fixed context or MD2 TLVs) starts in the buffer. */
    public int contextOffset() {
        return offset + BASE_LENGTH;
    }

    /** The offset of the first MD type 2 TLV, or -1 when there is none (or this is not MD type 2). */
    public int firstTlv() {
        if (mdType() != MD_TYPE_2 || lengthBytes() <= BASE_LENGTH) {
            return -1;
        }
        return offset + BASE_LENGTH;
    }

    /** The offset of the TLV after the one at {@code tlvOffset}, or -1 when that was the last. */
    public int nextTlv(int tlvOffset) {
        int next = tlvOffset + tlvWireLength(tlvLength(tlvOffset));
        return next + TLV_HEADER_LENGTH <= offset + lengthBytes() ? next : -1;
    }

    /** The 16-bit metadata class of the TLV at {@code tlvOffset}. */
    public int tlvClass(int tlvOffset) {
        return buffer.getShort(tlvOffset) & 0xFFFF;
    }

    /** The 8-bit type of the TLV at {@code tlvOffset}. */
    public int tlvType(int tlvOffset) {
        return buffer.get(tlvOffset + 2) & 0xFF;
    }

    /** The unassigned bit before the TLV length (sent as 0, ignored on receipt). */
    public boolean tlvUnassignedBit(int tlvOffset) {
        return (buffer.get(tlvOffset + 3) & 0x80) != 0;
    }

    /** The 7-bit value length in bytes of the TLV at {@code tlvOffset}, padding excluded. */
    public int tlvLength(int tlvOffset) {
        return buffer.get(tlvOffset + 3) & 0x7F;
    }

    /** Where the value of the TLV at {@code tlvOffset} starts. */
    public int tlvValueOffset(int tlvOffset) {
        return tlvOffset + TLV_HEADER_LENGTH;
    }

    /**
     * Finds the first TLV with the given class and type, or -1.
     */
    public int findTlv(int tlvClass, int tlvType) {
        for (int tlv = firstTlv(); tlv >= 0; tlv = nextTlv(tlv)) {
            if (tlvClass(tlv) == tlvClass && tlvType(tlv) == tlvType) {
                return tlv;
            }
        }
        return -1;
    }

    /** Bytes a TLV with a value of {@code valueLength} bytes takes on the wire (header + padded value). */
    public static int tlvWireLength(int valueLength) {
        return TLV_HEADER_LENGTH + ((valueLength + 3) & ~3);
    }

    /**
     * Writes a whole MD type 1 header (24 bytes): version 0, O bit clear, the given TTL, length 6,
     * MD type 1, next protocol, SPI, SI, and 16 zero bytes of context.
     */
    public NshHeader writeMd1(int spi, int si, int ttl, int nextProtocol) {
        writeBase(MD1_LENGTH / 4, MD_TYPE_1, spi, si, ttl, nextProtocol);
        buffer.putLong(offset + 8, 0L);
        buffer.putLong(offset + 16, 0L);
        return this;
    }

    /**
     * Writes an MD type 2 header with no TLVs yet (length 2 words); add context headers with
     * {@link #appendTlv(int, int, ByteBuffer, int, int)} or {@link #appendTlvInt(int, int, int)}.
     */
    public NshHeader writeMd2(int spi, int si, int ttl, int nextProtocol) {
        writeBase(BASE_LENGTH / 4, MD_TYPE_2, spi, si, ttl, nextProtocol);
        return this;
    }

    private void writeBase(int lengthWords, int mdType, int spi, int si, int ttl, int nextProtocol) {
        int word0 = ((ttl & 0x3F) << 22) | ((lengthWords & 0x3F) << 16) | ((mdType & 0xF) << 8) | (nextProtocol & 0xFF);
        buffer.putInt(offset, word0);
        buffer.putInt(offset + 4, ((spi & 0xFFFFFF) << 8) | (si & 0xFF));
    }

    /**
     * Appends an MD type 2 context header at the current end of this NSH, zero-pads its value to 4
     * bytes and grows the length field. The bytes after the header are overwritten: build the
     * header before the inner packet is placed, or use
     * {@link GpeNshPacket#encapsulateMd2}.
     *
     * @return the offset of the new TLV
     * @throws IllegalArgumentException if the value exceeds 127 bytes or the NSH would exceed 252 bytes
     */
    public int appendTlv(int tlvClass, int tlvType, ByteBuffer value, int valueOffset, int valueLength) {
        int tlv = startTlv(tlvClass, tlvType, valueLength);
        if (valueLength > 0) {
            buffer.put(tlv + TLV_HEADER_LENGTH, value, valueOffset, valueLength);
        }
        return tlv;
    }

    /** Appends a TLV whose value is one 32-bit big-endian integer; see {@link #appendTlv}. */
    public int appendTlvInt(int tlvClass, int tlvType, int value) {
        int tlv = startTlv(tlvClass, tlvType, 4);
        buffer.putInt(tlv + TLV_HEADER_LENGTH, value);
        return tlv;
    }

    private int startTlv(int tlvClass, int tlvType, int valueLength) {
        if (valueLength < 0 || valueLength > MAX_TLV_VALUE_LENGTH) {
            throw new IllegalArgumentException("TLV value length " + valueLength + " outside 0..127");
        }
        int current = lengthBytes();
        int wire = tlvWireLength(valueLength);
        if (current + wire > MAX_LENGTH) {
            throw new IllegalArgumentException("NSH would be " + (current + wire) + " bytes, more than " + MAX_LENGTH);
        }
        int tlv = offset + current;
        buffer.putShort(tlv, (short) tlvClass);
        buffer.put(tlv + 2, (byte) tlvType);
        buffer.put(tlv + 3, (byte) valueLength);
        // Zero the padding word first; the value overwrites its head.
        if (wire > TLV_HEADER_LENGTH) {
            buffer.putInt(tlv + wire - 4, 0);
        }
        length((current + wire) / 4);
        return tlv;
    }

    @Override
    public String toString() {
        return "NshHeader{ver=" + version() + ", ttl=" + ttl() + ", len=" + length() + ", md=" + mdType()
            + ", next=" + nextProtocol() + ", spi=" + spi() + ", si=" + si() + '}';
    }
}
