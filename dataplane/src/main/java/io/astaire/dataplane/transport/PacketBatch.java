package io.astaire.dataplane.transport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A reusable batch of datagram slots for one thread: what {@link DatagramTransport#receive}
 * fills and {@link DatagramTransport#send} drains, so a worker can move a whole batch with one
 * system call each way and forward a datagram in place without copying it.
 *
 * <p>All slots are regions of one off-heap segment. Each slot is {@link #headroom()} bytes of
 * free space, then room for {@link #maxDatagram()} bytes: a received datagram starts at
 * {@code offset(slot) == headroom()}, so an ingress can write headers in front of a payload
 * (lower the offset, raise the length) without moving it. {@link #buffer(int)} is a big-endian
 * view of the whole slot; use absolute get/put only (transports move its position and limit).
 *
 * <p>To send, set for each slot {@code [0, size())} an offset, a length and a destination; a slot
 * whose destination is null is skipped (a dropped packet). The native {@code mmsghdr} / {@code iovec}
 * / {@code sockaddr} arrays that {@code recvmmsg}/{@code sendmmsg} need live here too, laid out
 * once. Not thread-safe: one batch per thread.
 */
public final class PacketBatch {

    // struct iovec { void *base; size_t len; }
    static final long IOVEC_SIZE = 16;
    // struct mmsghdr { struct msghdr { name, namelen(+pad), iov, iovlen, control, controllen, flags(+pad) }; unsigned len(+pad) }
    static final long MMSGHDR_SIZE = 64;
    static final long MSG_NAME = 0;
    static final long MSG_NAMELEN = 8;
    static final long MSG_IOV = 16;
    static final long MSG_IOVLEN = 24;
    static final long MSG_CONTROL = 32;
    static final long MSG_CONTROLLEN = 40;
    static final long MSG_FLAGS = 48;
    static final long MSG_LEN = 56;
    static final long NAME_SIZE = 32; // sockaddr_in6 is 28
    /** sin_port / sin6_port: network byte order, at offset 2 (built once, not per decoded name). */
    private static final ValueLayout.OfShort PORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final int capacity;
    private final int maxDatagram;
    private final int headroom;
    private final int slotSize;
    private final MemorySegment data;
    private final ByteBuffer[] buffers;
    private final int[] offsets;
    private final int[] lengths;
    private final boolean[] truncated;
    private final Endpoint[] destinations;
    private final int[] flowHashes;
    private final InetSocketAddress[] sources;
    private int size;

    // Native views used by the Linux transport; harmless for the others.
    final MemorySegment msgs;
    final MemorySegment iovecs;
    final MemorySegment names;

    /**
     * @param capacity number of slots (datagrams per system call)
     * @param maxDatagram largest datagram received or sent, in bytes (9000-byte jumbo frames fit 9216)
     * @param headroom free bytes kept in front of every received datagram
     */
    public PacketBatch(int capacity, int maxDatagram, int headroom) {
        if (capacity < 1 || capacity > 1024) {
            throw new IllegalArgumentException("capacity must be within 1-1024, was " + capacity);
        }
        if (maxDatagram < 64 || maxDatagram > 65535) {
            throw new IllegalArgumentException("maxDatagram must be within 64-65535, was " + maxDatagram);
        }
        if (headroom < 0 || headroom > 1024) {
            throw new IllegalArgumentException("headroom must be within 0-1024, was " + headroom);
        }
        this.capacity = capacity;
        this.maxDatagram = maxDatagram;
        this.headroom = headroom;
        // One byte past maxDatagram lets a transport without MSG_TRUNC see that a datagram did not fit.
        this.slotSize = align(headroom + maxDatagram + 1, 64);
        Arena arena = Arena.ofAuto();
        this.data = arena.allocate((long) slotSize * capacity, 4096);
        this.buffers = new ByteBuffer[capacity];
        for (int i = 0; i < capacity; i++) {
            buffers[i] = data.asSlice((long) i * slotSize, slotSize).asByteBuffer().order(ByteOrder.BIG_ENDIAN);
        }
        this.offsets = new int[capacity];
        this.lengths = new int[capacity];
        this.truncated = new boolean[capacity];
        this.destinations = new Endpoint[capacity];
        this.flowHashes = new int[capacity];
        this.sources = new InetSocketAddress[capacity];
        this.msgs = arena.allocate(MMSGHDR_SIZE * capacity, 64);
        this.iovecs = arena.allocate(IOVEC_SIZE * capacity, 64);
        this.names = arena.allocate(NAME_SIZE * capacity, 64);
        for (int i = 0; i < capacity; i++) {
            long m = i * MMSGHDR_SIZE;
            msgs.set(ValueLayout.ADDRESS, m + MSG_IOV, iovecs.asSlice(i * IOVEC_SIZE));
            msgs.set(ValueLayout.JAVA_LONG, m + MSG_IOVLEN, 1);
        }
        clear();
    }

    private static int align(int value, int to) {
        return (value + to - 1) / to * to;
    }

    public int capacity() {
        return capacity;
    }

    public int maxDatagram() {
        return maxDatagram;
    }

    public int headroom() {
        return headroom;
    }

    /** Bytes in a slot's buffer: headroom, then maxDatagram, then padding. */
    public int slotSize() {
        return slotSize;
    }

    /** Number of slots in use: datagrams received, or to send. */
    public int size() {
        return size;
    }

    public PacketBatch size(int size) {
        if (size < 0 || size > capacity) {
            throw new IllegalArgumentException("size " + size + " outside 0-" + capacity);
        }
        this.size = size;
        return this;
    }

    /** Forgets all slots: size 0, offsets at the headroom, no destinations. */
    public PacketBatch clear() {
        for (int i = 0; i < capacity; i++) {
            offsets[i] = headroom;
            lengths[i] = 0;
            truncated[i] = false;
            destinations[i] = null;
            flowHashes[i] = 0;
        }
        size = 0;
        return this;
    }

    /** The whole slot (headroom included), big-endian. Use absolute accessors. */
    public ByteBuffer buffer(int slot) {
        return buffers[slot];
    }

    /**
     * The native address of {@code buffer(slot)}'s byte 0, so a caller can hand
     * {@code address(slot) + offset(slot)} to a system call without building a segment.
     */
    public long address(int slot) {
        return slotAddress(slot);
    }

    /**
     * How many bytes the datagram in {@code slot} may occupy from {@link #offset(int)}: what a
     * function that grows a packet in place may use. Never more than the slot's own region.
     */
    public int room(int slot) {
        return headroom + maxDatagram - offsets[slot];
    }

    /**
     * The symmetric hash of the inner flow of the datagram to send from {@code slot} (0 when
     * unknown). Transports that spread flows over several UDP source ports (RFC 7348 §5) choose
     * the port by it, so one flow always leaves from one port.
     */
    public int flowHash(int slot) {
        return flowHashes[slot];
    }

    public PacketBatch flowHash(int slot, int hash) {
        flowHashes[slot] = hash;
        return this;
    }

    /** Where the datagram starts in its slot's buffer. */
    public int offset(int slot) {
        return offsets[slot];
    }

    public PacketBatch offset(int slot, int offset) {
        offsets[slot] = offset;
        return this;
    }

    /** The datagram's length in bytes. */
    public int length(int slot) {
        return lengths[slot];
    }

    public PacketBatch length(int slot, int length) {
        lengths[slot] = length;
        return this;
    }

    /** True when the received datagram was longer than {@link #maxDatagram()}; its tail is lost. */
    public boolean truncated(int slot) {
        return truncated[slot];
    }

    /** Where {@link DatagramTransport#send} sends the slot; null skips it. */
    public Endpoint destination(int slot) {
        return destinations[slot];
    }

    public PacketBatch destination(int slot, Endpoint destination) {
        destinations[slot] = destination;
        return this;
    }

    /**
     * Who sent the received datagram. May allocate (the Linux transport decodes its
     * {@code sockaddr}): for control paths and tests, not for every packet.
     */
    public InetSocketAddress source(int slot) {
        InetSocketAddress s = sources[slot];
        if (s != null) {
            return s;
        }
        return decodeName(names.asSlice(slot * NAME_SIZE, NAME_SIZE));
    }

    static InetSocketAddress decodeName(MemorySegment name) {
        short family = name.get(ValueLayout.JAVA_SHORT, 0);
        int port = Short.toUnsignedInt(name.get(PORT, 2));
        try {
            if (family == Endpoint.AF_INET) {
                return new InetSocketAddress(InetAddress.getByAddress(name.asSlice(4, 4).toArray(ValueLayout.JAVA_BYTE)), port);
            }
            if (family == Endpoint.AF_INET6) {
                return new InetSocketAddress(InetAddress.getByAddress(name.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE)), port);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        return null;
    }

    // --- for transports -------------------------------------------------------------------------

    void received(int slot, int length, boolean wasTruncated, InetSocketAddress source) {
        offsets[slot] = headroom;
        lengths[slot] = length;
        truncated[slot] = wasTruncated;
        destinations[slot] = null;
        flowHashes[slot] = 0;
        sources[slot] = source;
    }

    long slotAddress(int slot) {
        return data.address() + (long) slot * slotSize;
    }

    MemorySegment data() {
        return data;
    }
}
