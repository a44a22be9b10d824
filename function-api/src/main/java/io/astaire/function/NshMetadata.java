package io.astaire.function;

import io.astaire.wire.NshHeader;

/**
 * A function's view of a packet's NSH header: what it may read and what it may write.
 *
 * <p>The node owns the fields it steers by: the SPI, the SI and the TTL are read-only here (the
 * route was chosen before the functions ran, and the node sets SI and TTL for the next hop from
 * the values it received), and so is MD type 1 context word {@value #RESERVED_WORD}, which
 * Astaire reserves for itself (a path generation). A function may read and write MD type 1
 * context words 0 to {@value #LAST_FUNCTION_WORD} and the values of MD type 2 TLVs (in place,
 * through {@link PacketContext#buffer()} at {@link #tlvValueOffset}); it cannot add or remove
 * TLVs. Whatever a function writes into the node's fields through the raw buffer is undone by
 * the node after the function returns.
 *
 * <p>A flyweight over the receive buffer, valid only during {@link ServiceFunction#process}.
 */
public final class NshMetadata {

    /** The MD type 1 context word reserved for Astaire: functions can read it, not write it. */
    public static final int RESERVED_WORD = 3;
    /** The last MD type 1 context word functions may write (words 0 to 2). */
    public static final int LAST_FUNCTION_WORD = 2;

    private final PacketContext context;
    private final NshHeader nsh;

    NshMetadata(PacketContext context, NshHeader nsh) {
        this.context = context;
        this.nsh = nsh;
    }

    // The node's fields come from what the node received, not from the buffer a function may have scribbled on.

    /** The service path identifier (the chain, and its direction). */
    public int spi() {
        return context.spi();
    }

    /** The service index: 255 at a path's first function, one less after each function. */
    public int si() {
        return context.si();
    }

    /** The NSH TTL as received by this hop. */
    public int ttl() {
        return (context.baseWord() >>> 22) & 0x3F;
    }

    /** {@link NshHeader#MD_TYPE_1} or {@link NshHeader#MD_TYPE_2}. */
    public int mdType() {
        return (context.baseWord() >>> 8) & 0x0F;
    }

    /** The inner packet's protocol ({@link NshHeader#NEXT_PROTOCOL_IPV4}, {@link NshHeader#NEXT_PROTOCOL_IPV6}). */
    public int nextProtocol() {
        return context.baseWord() & 0xFF;
    }

    /** Where the NSH header starts in {@link PacketContext#buffer()}. */
    public int offset() {
        return nsh.offset();
    }

    /** The whole NSH header's length in bytes. */
    public int lengthBytes() {
        return (context.baseWord() >>> 16 & 0x3F) * 4;
    }

    /**
     * One of the four MD type 1 context words (0 to 3; word 3 is Astaire's).
     *
     * @throws IllegalStateException when the packet is not MD type 1
     */
    public int md1Context(int word) {
        requireMd1();
        return nsh.md1Context(word);
    }

    /**
     * Writes one of the MD type 1 context words that belong to functions (0 to 2); the functions
     * after this one on the path see it.
     *
     * @throws IllegalArgumentException for word 3 (reserved for Astaire) or a word outside 0-3
     * @throws IllegalStateException when the packet is not MD type 1
     */
    public NshMetadata md1Context(int word, int value) {
        if (word < 0 || word > LAST_FUNCTION_WORD) {
            throw new IllegalArgumentException(word == RESERVED_WORD
                    ? "MD type 1 context word 3 is reserved for Astaire; functions may write words 0-2"
                    : "MD type 1 context word " + word + " is outside 0-2");
        }
        requireMd1();
        nsh.md1Context(word, value);
        return this;
    }

    private void requireMd1() {
        if (mdType() != NshHeader.MD_TYPE_1) {
            throw new IllegalStateException("the packet carries MD type " + mdType() + ", not MD type 1 context words");
        }
    }

    /** The offset of the first MD type 2 TLV in the buffer, or -1 (none, or not MD type 2). */
    public int firstTlv() {
        return nsh.firstTlv();
    }

    /** The offset of the TLV after the one at {@code tlv}, or -1 when that was the last. */
    public int nextTlv(int tlv) {
        return nsh.nextTlv(tlv);
    }

    /** The first TLV with this class and type, or -1. */
    public int findTlv(int tlvClass, int tlvType) {
        return nsh.findTlv(tlvClass, tlvType);
    }

    /** The 16-bit metadata class of the TLV at {@code tlv}. */
    public int tlvClass(int tlv) {
        return nsh.tlvClass(tlv);
    }

    /** The 8-bit type of the TLV at {@code tlv}. */
    public int tlvType(int tlv) {
        return nsh.tlvType(tlv);
    }

    /** The value's length in bytes (padding excluded) of the TLV at {@code tlv}. */
    public int tlvLength(int tlv) {
        return nsh.tlvLength(tlv);
    }

    /** Where the value of the TLV at {@code tlv} starts in the buffer: read and overwrite it in place. */
    public int tlvValueOffset(int tlv) {
        return nsh.tlvValueOffset(tlv);
    }

    @Override
    public String toString() {
        return nsh.toString();
    }
}
