package io.astaire.function;

import io.astaire.wire.FlowKey;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;

/**
 * One packet as a function sees it: the receive buffer with the NSH header and the inner IP
 * packet inside it, plus flyweight views over both and the inner flow's 5-tuple.
 *
 * <p>A node keeps one context per worker thread and {@link #reset resets} it for every packet:
 * nothing here allocates after construction. The views are valid only during
 * {@link ServiceFunction#process}; a function must not keep the context or its views.
 *
 * <p>A function may rewrite the inner packet in place, and change its length with
 * {@link #innerLength(int)} up to {@link #innerCapacity()} bytes (the bytes after the packet in
 * the buffer are free). Keeping the IP length fields and checksums right is the function's job.
 *
 * <p>The NSH header is the node's: a function reads SPI, SI and TTL and writes only MD type 1
 * context words 0-2 and MD type 2 TLV values (see {@link NshMetadata}); the node restores the rest
 * after each function ({@link #functionForwarded()}).
 */
public final class PacketContext {

    private final NshHeader nsh = new NshHeader();
    private final NshMetadata metadata = new NshMetadata(this, nsh);
    private final InnerPacket inner = new InnerPacket();
    private final FlowKey flow = new FlowKey();

    private ByteBuffer buffer;
    private int nshOffset;
    private int innerOffset;
    private int innerLength;
    private int innerCapacity;
    private WireError innerError = WireError.OK;
    private boolean innerStale;
    // The NSH fields the node owns, as received, so what a function writes there is undone.
    private int baseWord;
    private int spi;
    private int si;
    private boolean md1;
    private int reservedWord;
    private String explanation;

    /**
     * Points the context at a new packet (node side). Wraps the NSH and inner views and fills
     * {@link #flow()}; when the inner packet does not decode, {@link #innerError()} says why and
     * the node should drop the packet rather than call functions.
     *
     * @param buffer the whole received datagram
     * @param nshOffset where the NSH header starts
     * @param innerOffset where the inner IP packet starts
     * @param innerLength its length
     * @param innerCapacity how long the inner packet may grow (innerLength &lt;= capacity; the
     *     buffer's limit must be at least innerOffset + innerCapacity, since functions write there
     *     with absolute puts)
     * @throws IllegalArgumentException when the offsets and lengths do not fit the buffer's limit
     */
    public void reset(ByteBuffer buffer, int nshOffset, int innerOffset, int innerLength, int innerCapacity) {
        explanation = null;
        if (innerOffset < 0 || innerLength < 0 || innerCapacity < innerLength || innerOffset + innerCapacity > buffer.limit()) {
            throw new IllegalArgumentException("inner packet " + innerOffset + "+" + innerLength + " (capacity "
                    + innerCapacity + ") does not fit the buffer's limit " + buffer.limit());
        }
        this.buffer = buffer;
        this.nshOffset = nshOffset;
        this.innerOffset = innerOffset;
        this.innerLength = innerLength;
        this.innerCapacity = innerCapacity;
        nsh.wrap(buffer, nshOffset);
        baseWord = buffer.getInt(nshOffset);
        spi = nsh.spi();
        si = nsh.si();
        md1 = nsh.mdType() == NshHeader.MD_TYPE_1;
        reservedWord = md1 ? nsh.md1Context(NshMetadata.RESERVED_WORD) : 0;
        innerError = inner.wrap(buffer, innerOffset, innerLength);
        innerStale = false;
        if (innerError == WireError.OK) {
            flow.from(inner);
        } else {
            flow.ipv4(0, 0, 0, 0, 0);
        }
    }

    /** The receive buffer (big-endian; use absolute get/put only). */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Where the NSH header starts in {@link #buffer()}. */
    public int nshOffset() {
        return nshOffset;
    }

    /** Where the inner IP packet starts in {@link #buffer()}. */
    public int innerOffset() {
        return innerOffset;
    }

    /** The inner IP packet's length in bytes. */
    public int innerLength() {
        return innerLength;
    }

    /**
     * Sets the inner packet's length after the function grew or shrank it (new bytes are at
     * {@code innerOffset() + innerLength()}). Fix the IP total length / payload length, the
     * transport length and the checksums too. {@link #inner()} is re-wrapped at its next call.
     *
     * @throws IllegalArgumentException when {@code newLength} is negative or beyond {@link #innerCapacity()}
     */
    public void innerLength(int newLength) {
        if (newLength < 0 || newLength > innerCapacity) {
            throw new IllegalArgumentException("inner length " + newLength + " is outside 0-" + innerCapacity);
        }
        innerLength = newLength;
        innerStale = true;
    }

    /** The most bytes the inner packet may occupy: the room left in the buffer after it. */
    public int innerCapacity() {
        return innerCapacity;
    }

    /**
     * A view over the inner IP packet. After {@link #innerLength(int)} it is re-wrapped over the
     * new length (so set the IP length field first); {@link #innerError()} then tells whether
     * the rewritten packet still decodes.
     */
    public InnerPacket inner() {
        if (innerStale) {
            innerStale = false;
            innerError = inner.wrap(buffer, innerOffset, innerLength);
        }
        return inner;
    }

    /** {@link WireError#OK} when the inner packet decodes, else the reason. */
    public WireError innerError() {
        if (innerStale) {
            inner();
        }
        return innerError;
    }

    /**
     * A view over the packet's NSH header: SPI, SI and TTL to read; MD type 1 context words 0-2
     * and MD type 2 TLV values to read and write; context word 3 (Astaire's) to read.
     */
    public NshMetadata nsh() {
        return metadata;
    }

    /**
     * Node side: a function forwarded the packet. Steps the service index down by one and writes
     * back the fields the node owns (the NSH base word with the TTL, the SPI, the SI, MD type 1
     * context word 3) as they were received, whatever the function wrote into the buffer: the
     * route was chosen by them before the function ran. Four absolute writes, no allocation.
     */
    public void functionForwarded() {
        si = (si - 1) & 0xFF;
        buffer.putInt(nshOffset, baseWord);
        buffer.putInt(nshOffset + 4, (spi << 8) | si);
        if (md1) {
            nsh.md1Context(NshMetadata.RESERVED_WORD, reservedWord);
        }
    }

    /**
     * The inner packet's flow (addresses, protocol, ports) as it arrived. A reused instance: copy
     * it ({@code FlowKey.copy()}) before keeping it, for example as a new map key.
     */
    public FlowKey flow() {
        return flow;
    }

    /** The NSH base word (version, O bit, TTL, length, MD type, next protocol) as received. */
    int baseWord() {
        return baseWord;
    }

    /** The service path identifier (the chain, and its direction), as received. */
    public int spi() {
        return spi;
    }

    /** The service index of the function being called (255 at a path's first function, one less after each). */
    public int si() {
        return si;
    }

    /**
     * Says why the function decided what it did, e.g. {@code "rule no-telnet"}: shown to an
     * operator who traces a probe through the chain ({@code astaire trace}), ignored otherwise.
     * Pass a string the function already holds (a rule's name): this runs for every packet and
     * must not allocate. Cleared for each packet.
     */
    public void explain(String why) {
        explanation = why;
    }

    /** What the last function that called {@link #explain} said about this packet, or null. */
    public String explanation() {
        return explanation;
    }
}
