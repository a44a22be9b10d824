package io.astaire.dataplane.transport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A reusable batch of datagram slots for one thread: what {@link DatagramTransport#receive}
 * fills and {@link DatagramTransport#send} drains, so a worker can move a whole batch with one
 * system call each way and forward a datagram in place without copying it.
 *
 * <p>Each slot owns a region of one off-heap segment: {@link #headroom()} bytes of free space,
 * then room for {@link #maxDatagram()} bytes. A datagram received into it starts at
 * {@code offset(slot) == headroom()}, so an ingress can write headers in front of a payload
 * (lower the offset, raise the length) without moving it. {@link #buffer(int)} is a big-endian
 * view of the buffer the slot's datagram is in; use absolute get/put only (transports move its
 * position and limit), and {@link #address(int)} for its native address.
 *
 * <p>A transport that receives coalesced datagrams (UDP GRO) reads into a few separate
 * <em>receive areas</em> of 64 KiB instead, and presents each segment of a coalesced datagram as
 * its own slot without copying: then {@code buffer(slot)} is the area's buffer, shared by the
 * slots of one area, {@code offset(slot)} points at the segment and {@link #room(int)} ends where
 * the next segment starts. Only the first segment of an area has {@link #headroom()} in front of
 * it. Segments that did not fit into the slots wait here for the next receive, which delivers
 * them without a system call.
 *
 * <p>To send, set for each slot {@code [0, size())} an offset, a length and a destination; a slot
 * whose destination is null is skipped (a dropped packet). After a send, {@link #sent(int)} tells
 * which slots the kernel took. The native {@code mmsghdr} / {@code iovec} / {@code sockaddr} /
 * control arrays that {@code recvmmsg}/{@code sendmmsg} need live here too, laid out once. Not
 * thread-safe: one batch per thread.
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
    /** Control bytes per message: room for one {@code UDP_GRO} / {@code UDP_SEGMENT} cmsg and more. */
    static final long CONTROL_SIZE = 64;
    /** The largest UDP payload the kernel hands over in one (coalesced) datagram. */
    static final int AREA_PAYLOAD = 65535;
    /** The kernel coalesces at most this many segments into one datagram (UDP_GRO_CNT_MAX). */
    static final int MAX_SEGMENTS = 64;
    /**
     * Default receive areas: one per this many slots. One area per slot costs 64 KiB a slot (4 MiB
     * for a batch of 64) but lets traffic the kernel did not coalesce (a sender without GSO, such
     * as most generators) fill the whole batch in one system call, as it does with GRO off.
     */
    static final int SLOTS_PER_AREA = 1;
    /** The segment size of a message that is one plain datagram. */
    static final int NOT_COALESCED = -1;
    /** sin_port / sin6_port: network byte order, at offset 2 (built once, not per decoded name). */
    private static final ValueLayout.OfShort PORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final int capacity;
    private final int maxDatagram;
    private final int headroom;
    private final int slotSize;
    private final MemorySegment data;
    private final ByteBuffer[] ownBuffers;
    private final ByteBuffer[] buffers;
    private final long[] addresses;
    private final int[] limits;
    private final int[] offsets;
    private final int[] lengths;
    private final boolean[] truncated;
    private final boolean[] sent;
    private final Endpoint[] destinations;
    private final int[] flowHashes;
    private final InetSocketAddress[] sources;
    /** Which {@link #names} entry holds the sender of a slot, or -1 when it was not asked for. */
    private final int[] nameOf;
    private int size;

    // Native views used by the Linux transport; harmless for the others.
    final MemorySegment msgs;
    final MemorySegment iovecs;
    final MemorySegment names;
    final MemorySegment controls;
    /** For a send: which slot each iovec carries, so a message's outcome maps back to its slots. */
    final int[] iovecSlot;

    // Receive areas for coalesced datagrams, allocated on first use, and the segments received
    // into them that are not yet delivered as slots.
    private MemorySegment areaData;
    private ByteBuffer[] areaBuffers;
    private int areaSize;
    private final int[] messageStart;
    private final int[] messageEnd;
    private final int[] messageSegment;
    private final boolean[] messageBroken;
    private int messages;
    private int nextMessage;

    /**
     * @param capacity number of slots (datagrams per system call)
     * @param maxDatagram largest datagram received or sent, in bytes (9000-byte jumbo frames fit 9216)
     * @param headroom free bytes kept in front of every received datagram
     */
    public PacketBatch(int capacity, int maxDatagram, int headroom) {
        this(capacity, maxDatagram, headroom, defaultReceiveAreas(capacity));
    }

    /**
     * @param receiveAreas how many coalesced (GRO) messages one receive may take, each into a
     *     64 KiB area allocated on first use; segments beyond the slots wait for the next receive
     */
    public PacketBatch(int capacity, int maxDatagram, int headroom, int receiveAreas) {
        if (capacity < 1 || capacity > 1024) {
            throw new IllegalArgumentException("capacity must be within 1-1024, was " + capacity);
        }
        if (maxDatagram < 64 || maxDatagram > 65535) {
            throw new IllegalArgumentException("maxDatagram must be within 64-65535, was " + maxDatagram);
        }
        if (headroom < 0 || headroom > 1024) {
            throw new IllegalArgumentException("headroom must be within 0-1024, was " + headroom);
        }
        if (receiveAreas < 1 || receiveAreas > capacity) {
            throw new IllegalArgumentException("receive areas must be within 1-" + capacity + ", was " + receiveAreas);
        }
        this.capacity = capacity;
        this.maxDatagram = maxDatagram;
        this.headroom = headroom;
        // One byte past maxDatagram lets a transport without MSG_TRUNC see that a datagram did not fit.
        this.slotSize = align(headroom + maxDatagram + 1, 64);
        Arena arena = Arena.ofAuto();
        this.data = arena.allocate((long) slotSize * capacity, 4096);
        this.ownBuffers = new ByteBuffer[capacity];
        for (int i = 0; i < capacity; i++) {
            ownBuffers[i] = data.asSlice((long) i * slotSize, slotSize).asByteBuffer().order(ByteOrder.BIG_ENDIAN);
        }
        this.buffers = ownBuffers.clone();
        this.addresses = new long[capacity];
        this.limits = new int[capacity];
        this.offsets = new int[capacity];
        this.lengths = new int[capacity];
        this.truncated = new boolean[capacity];
        this.sent = new boolean[capacity];
        this.destinations = new Endpoint[capacity];
        this.flowHashes = new int[capacity];
        this.sources = new InetSocketAddress[capacity];
        this.nameOf = new int[capacity];
        this.msgs = arena.allocate(MMSGHDR_SIZE * capacity, 64);
        this.iovecs = arena.allocate(IOVEC_SIZE * capacity, 64);
        this.names = arena.allocate(NAME_SIZE * capacity, 64);
        this.controls = arena.allocate(CONTROL_SIZE * capacity, 64);
        this.iovecSlot = new int[capacity];
        this.messageStart = new int[receiveAreas];
        this.messageEnd = new int[receiveAreas];
        this.messageSegment = new int[receiveAreas];
        this.messageBroken = new boolean[receiveAreas];
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

    /**
     * Forgets all slots: size 0, each slot back on its own region with the offset at the
     * headroom, no destinations; received segments not yet delivered are dropped.
     */
    public PacketBatch clear() {
        for (int i = 0; i < capacity; i++) {
            ownRegion(i);
            offsets[i] = headroom;
            lengths[i] = 0;
            truncated[i] = false;
            sent[i] = false;
            destinations[i] = null;
            flowHashes[i] = 0;
        }
        messages = 0;
        nextMessage = 0;
        size = 0;
        return this;
    }

    /**
     * The buffer the slot's datagram is in, big-endian: the slot's own region (headroom
     * included), or a receive area shared with other slots. Use absolute accessors, and write
     * only within {@code [offset(slot), offset(slot) + room(slot))}.
     */
    public ByteBuffer buffer(int slot) {
        return buffers[slot];
    }

    /**
     * The native address of {@code buffer(slot)}'s byte 0, so a caller can hand
     * {@code address(slot) + offset(slot)} to a system call without building a segment.
     */
    public long address(int slot) {
        return addresses[slot];
    }

    /**
     * How many bytes the datagram in {@code slot} may occupy from {@link #offset(int)}: what a
     * function that grows a packet in place may use. Never more than the slot's own region, and
     * for a segment of a coalesced datagram never into the next segment.
     */
    public int room(int slot) {
        return limits[slot] - offsets[slot];
    }

    /**
     * Whether the last {@link DatagramTransport#send} handed this slot's datagram to the kernel.
     * False for slots without a destination and for those that failed, wherever they were in the
     * batch.
     */
    public boolean sent(int slot) {
        return sent[slot];
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
     * Who sent the received datagram, or null when the transport was not asked to keep senders
     * ({@link TransportOptions#keepSourceAddress()}). May allocate (the Linux transport decodes
     * its {@code sockaddr}): for control paths and tests, not for every packet.
     */
    public InetSocketAddress source(int slot) {
        InetSocketAddress s = sources[slot];
        if (s != null || nameOf[slot] < 0) {
            return s;
        }
        return decodeName(names.asSlice(nameOf[slot] * NAME_SIZE, NAME_SIZE));
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

    /** A datagram received into the slot's own region; {@code name} is its {@link #names} entry or -1. */
    void received(int slot, int length, boolean wasTruncated, InetSocketAddress source, int name) {
        ownRegion(slot);
        offsets[slot] = headroom;
        lengths[slot] = length;
        truncated[slot] = wasTruncated;
        destinations[slot] = null;
        flowHashes[slot] = 0;
        sources[slot] = source;
        nameOf[slot] = name;
    }

    private void ownRegion(int slot) {
        buffers[slot] = ownBuffers[slot];
        addresses[slot] = data.address() + (long) slot * slotSize;
        limits[slot] = headroom + maxDatagram;
    }

    /** The slot's own region, whatever the slot points at now (for transports that fill it). */
    ByteBuffer ownBuffer(int slot) {
        ownRegion(slot);
        return ownBuffers[slot];
    }

    long slotAddress(int slot) {
        return data.address() + (long) slot * slotSize;
    }

    void clearSent(int size) {
        Arrays.fill(sent, 0, size, false);
    }

    void markSent(int slot) {
        sent[slot] = true;
    }

    // --- receive areas for coalesced datagrams (UDP GRO) ------------------------------------------

    /** The receive areas a batch of {@code capacity} slots gets unless told otherwise. */
    public static int defaultReceiveAreas(int capacity) {
        return Math.max(1, capacity / SLOTS_PER_AREA);
    }

    /** How many coalesced messages one receive asks for. */
    public int receiveAreas() {
        return messageStart.length;
    }

    int areas() {
        return messageStart.length;
    }

    /** Allocates the receive areas the first time a transport needs them. */
    void ensureAreas() {
        if (areaData != null) {
            return;
        }
        areaSize = align(headroom + AREA_PAYLOAD, 64);
        areaData = Arena.ofAuto().allocate((long) areaSize * areas(), 4096);
        areaBuffers = new ByteBuffer[areas()];
        for (int a = 0; a < areaBuffers.length; a++) {
            areaBuffers[a] = areaData.asSlice((long) a * areaSize, areaSize).asByteBuffer().order(ByteOrder.BIG_ENDIAN);
        }
    }

    /** Where the kernel writes the datagram of message {@code area}: after the headroom. */
    long areaPayloadAddress(int area) {
        return areaData.address() + (long) area * areaSize + headroom;
    }

    /** True while received segments wait for slots. */
    boolean hasPendingSegments() {
        return nextMessage < messages;
    }

    /** Forgets received messages (a new receive replaces them). */
    void resetMessages() {
        messages = 0;
        nextMessage = 0;
    }

    /**
     * Records that message {@code area} holds {@code length} bytes: segments of
     * {@code segmentSize} bytes each (the last may be shorter), or one datagram when
     * {@code segmentSize} is {@link #NOT_COALESCED} (no {@code UDP_GRO} cmsg). {@code broken} when the kernel said the
     * message did not fit. Messages must be added in area order.
     */
    void addMessage(int area, int length, int segmentSize, boolean broken) {
        messageStart[area] = headroom;
        messageEnd[area] = headroom + Math.max(0, Math.min(length, AREA_PAYLOAD));
        // -1: one plain datagram; any other size the kernel would never give (< 1) marks the message broken
        messageSegment[area] = segmentSize == NOT_COALESCED ? Math.max(1, length) : Math.max(0, segmentSize);
        messageBroken[area] = broken;
        messages = area + 1;
    }

    /**
     * Turns the received messages' segments into slots {@code [0, n)}, as many as fit; the rest
     * stay for the next call. A message whose segment size is impossible (0, or larger than a
     * datagram can be) or that the kernel truncated becomes one slot marked {@link #truncated},
     * which the worker drops and counts: its boundaries are unknown, so none of it is trusted.
     *
     * @return n, also set as {@link #size()}
     */
    int deliverSegments(boolean sourcesKept) {
        int slot = 0;
        while (slot < capacity && nextMessage < messages) {
            int m = nextMessage;
            int start = messageStart[m];
            int end = messageEnd[m];
            int segment = messageSegment[m];
            int name = sourcesKept ? m : -1;
            if (start == end) { // an empty datagram is still one
                segmentSlot(slot++, m, start, 0, start + maxDatagram, false, name);
                nextMessage++;
                continue;
            }
            if (messageBroken[m] || segment <= 0 || segment > AREA_PAYLOAD) {
                int kept = Math.min(end - start, maxDatagram);
                segmentSlot(slot++, m, start, kept, start + kept, true, name);
                nextMessage++;
                continue;
            }
            while (slot < capacity && start < end) {
                int length = Math.min(segment, end - start);
                // Room up to one full segment (a short last one may grow to that), never into the next.
                int limit = Math.min(start + Math.min(segment, maxDatagram), areaSize);
                segmentSlot(slot++, m, start, Math.min(length, maxDatagram), limit, length > maxDatagram, name);
                start += length;
            }
            messageStart[m] = start;
            if (start >= end) {
                nextMessage++;
            }
        }
        size = slot;
        return slot;
    }

    private void segmentSlot(int slot, int area, int start, int length, int limit, boolean wasTruncated, int name) {
        buffers[slot] = areaBuffers[area];
        addresses[slot] = areaData.address() + (long) area * areaSize;
        limits[slot] = limit;
        offsets[slot] = start;
        lengths[slot] = length;
        truncated[slot] = wasTruncated;
        destinations[slot] = null;
        flowHashes[slot] = 0;
        sources[slot] = null;
        nameOf[slot] = name;
    }

    MemorySegment data() {
        return data;
    }
}
