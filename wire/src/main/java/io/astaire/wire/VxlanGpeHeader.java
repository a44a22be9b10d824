package io.astaire.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight over a VXLAN-GPE header (draft-ietf-nvo3-vxlan-gpe), the 8 bytes after the outer UDP
 * header on port {@value #UDP_PORT}:
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|R|Ver|I|P|B|O|           Reserved            | Next Protocol |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                VXLAN Network Identifier (VNI) |   Reserved    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * Fields are read and written in place with absolute access; nothing is copied or allocated.
 */
public final class VxlanGpeHeader {

    /** Header size in bytes. */
    public static final int LENGTH = 8;
    /** IANA UDP port for VXLAN-GPE. */
    public static final int UDP_PORT = 4790;

    /** Flag: the VNI is valid. */
    public static final int FLAG_I = 0x08;
    /** Flag: the next protocol field is present. */
    public static final int FLAG_P = 0x04;
    /** Flag: BUM traffic. */
    public static final int FLAG_B = 0x02;
    /** Flag: OAM packet. */
    public static final int FLAG_O = 0x01;

    /** Next protocol: IPv4. */
    public static final int NEXT_PROTOCOL_IPV4 = 1;
    /** Next protocol: IPv6. */
    public static final int NEXT_PROTOCOL_IPV6 = 2;
    /** Next protocol: Ethernet. */
    public static final int NEXT_PROTOCOL_ETHERNET = 3;
    /** Next protocol: NSH, what Astaire carries. */
    public static final int NEXT_PROTOCOL_NSH = 4;
    /** Next protocol: MPLS. */
    public static final int NEXT_PROTOCOL_MPLS = 5;

    private ByteBuffer buffer;
    private int offset;

    /** Points this flyweight at the header starting at {@code offset} of {@code buffer}. */
    public VxlanGpeHeader wrap(ByteBuffer buffer, int offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** The buffer this view reads. */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Where the header starts in {@link #buffer()}. */
    public int offset() {
        return offset;
    }

    /**
     * Checks that a usable header is present in the {@code available} bytes from {@link #offset()}
     * (clamped to the buffer's limit): long enough, version 0, P bit set, a registered next protocol.
     */
    public WireError validate(int available) {
        if (offset < 0 || available < LENGTH || buffer.limit() - offset < LENGTH) {
            return WireError.TRUNCATED;
        }
        if (version() != 0) {
            return WireError.BAD_GPE_VERSION;
        }
        if (!pBit()) {
            return WireError.BAD_GPE_FLAGS;
        }
        int next = nextProtocol();
        if (next < NEXT_PROTOCOL_IPV4 || next > NEXT_PROTOCOL_MPLS) {
            return WireError.UNKNOWN_GPE_NEXT_PROTOCOL;
        }
        return WireError.OK;
    }

    /** The whole flags byte. */
    public int flags() {
        return buffer.get(offset) & 0xFF;
    }

    /** Sets the whole flags byte. */
    public VxlanGpeHeader flags(int flags) {
        buffer.put(offset, (byte) flags);
        return this;
    }

    /** The 2-bit version (must be 0). */
    public int version() {
        return (buffer.get(offset) >> 4) & 0x3;
    }

    /** The I bit: the VNI is valid. */
    public boolean iBit() {
        return (buffer.get(offset) & FLAG_I) != 0;
    }

    /** The P bit: the next protocol field is present. */
    public boolean pBit() {
        return (buffer.get(offset) & FLAG_P) != 0;
    }

    /** The B bit: broadcast, unknown unicast or multicast traffic. */
    public boolean bBit() {
        return (buffer.get(offset) & FLAG_B) != 0;
    }

    /** The O bit: an OAM packet. */
    public boolean oBit() {
        return (buffer.get(offset) & FLAG_O) != 0;
    }

    /** Sets or clears the O bit. */
    public VxlanGpeHeader oBit(boolean value) {
        int flags = flags();
        return flags(value ? flags | FLAG_O : flags & ~FLAG_O);
    }

    /** The next protocol (4 = NSH). */
    public int nextProtocol() {
        return buffer.get(offset + 3) & 0xFF;
    }

    /** Sets the next protocol. */
    public VxlanGpeHeader nextProtocol(int nextProtocol) {
        buffer.put(offset + 3, (byte) nextProtocol);
        return this;
    }

    /** The 24-bit VXLAN network identifier. */
    public int vni() {
        return buffer.getInt(offset + 4) >>> 8;
    }

    /** Sets the 24-bit VNI (higher bits are ignored); the reserved byte after it is left alone. */
    public VxlanGpeHeader vni(int vni) {
        buffer.putInt(offset + 4, ((vni & 0xFFFFFF) << 8) | (buffer.get(offset + 7) & 0xFF));
        return this;
    }

    /**
     * Writes a whole header: flags I and P set (version 0, B and O clear), reserved fields zero,
     * the given next protocol and VNI.
     */
    public VxlanGpeHeader write(int vni, int nextProtocol) {
        buffer.putInt(offset, ((FLAG_I | FLAG_P) << 24) | (nextProtocol & 0xFF));
        buffer.putInt(offset + 4, (vni & 0xFFFFFF) << 8);
        return this;
    }

    @Override
    public String toString() {
        return "VxlanGpeHeader{flags=0x" + Integer.toHexString(flags()) + ", next=" + nextProtocol()
            + ", vni=" + vni() + '}';
    }
}
