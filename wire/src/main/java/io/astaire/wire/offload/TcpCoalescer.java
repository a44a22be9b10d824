package io.astaire.wire.offload;

import io.astaire.wire.Checksums;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.Ipv4Header;
import io.astaire.wire.Ipv6Header;
import io.astaire.wire.TcpHeader;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Glues in-order TCP segments of a batch into super-packets for one TUN write each (GRO, with the
 * rules of the kernel's {@code tcp_gro_receive}), keeping the order of each flow's packets.
 * Usage per batch: {@link #reset()}; {@link #add} for every packet in order; then for item in
 * 0..{@link #itemCount()}-1: if {@link #isGroup} write {@link #groupBuffer}/{@link #groupOffset}/
 * {@link #groupLength} (a virtio_net_hdr followed by the super-packet) else write the caller's
 * packet {@link #tag} with a zero virtio_net_hdr in front. A group that ended up with one segment
 * is reported as a passthrough item (isGroup false) so nothing is copied for it: a flow's first
 * segment is copied into a group buffer only when a second one is glued to it.
 */
public final class TcpCoalescer {

    /** Room a group needs: a virtio_net_hdr and the largest IP packet. */
    public static final int GROUP_BUFFER_LENGTH = VirtioNetHeader.LENGTH + 0xFFFF;
    /** Segments glued into one super-packet at most (the kernel's MAX_GRO_SKBS). */
    public static final int MAX_SEGMENTS = 64;
    /** Items a batch holds before the item table grows (which allocates, once). */
    public static final int DEFAULT_ITEM_CAPACITY = 1024;

    private static final int MIN_OPEN_FLOWS = 8;
    private static final int MAX_IP_LENGTH = 0xFFFF;
    private static final int TCP_CHECKSUM_AT = 16;
    private static final int IPV4_TOS_AT = 1;
    private static final int IPV4_DF = 0x4000;
    private static final int IPV4_FLAGS_AT = 6;
    private static final int NO_GROUP = -1;
    private static final int FREE = -1;

    private final ByteBuffer[] groupBuffers;
    private final int[] groupIpLength;
    private final int[] groupSegments;
    private int groupsUsed;

    private final InnerPacket candidate = new InnerPacket();
    private final InnerPacket head = new InnerPacket();
    private final VirtioNetHeader vnet = new VirtioNetHeader();
    private final Ipv4Header groupIpv4 = new Ipv4Header();
    private final Ipv6Header groupIpv6 = new Ipv6Header();
    private final TcpHeader groupTcp = new TcpHeader();

    private int itemCount;
    private int[] itemTag;
    private int[] itemGroup;
    private ByteBuffer[] itemBuffer;
    private int[] itemOffset;
    private int[] itemLength;

    // Flows whose latest item may still take segments: one slot per flow, FREE when unused.
    private final int[] openItem;
    private final int[] openVersion;
    private final long[] openSourceHigh;
    private final long[] openSourceLow;
    private final long[] openDestinationHigh;
    private final long[] openDestinationLow;
    private final int[] openPorts;
    private final int[] openNextSequence;
    private final int[] openSegmentPayload;

    /** @param maxGroups how many groups may be open at once in one batch (each owns a 64 KB buffer) */
    public TcpCoalescer(int maxGroups) {
        this(maxGroups, DEFAULT_ITEM_CAPACITY);
    }

    /** As {@link #TcpCoalescer(int)}, with room for {@code itemCapacity} items per batch before growing. */
    public TcpCoalescer(int maxGroups, int itemCapacity) {
        this(directBuffers(maxGroups), itemCapacity);
    }

    /**
     * With the caller's group buffers (for example slices of native memory it writes from), each
     * of at least {@link #GROUP_BUFFER_LENGTH} bytes; their byte order is set to big-endian.
     */
    public TcpCoalescer(ByteBuffer[] groupBuffers, int itemCapacity) {
        if (itemCapacity < 1) {
            throw new IllegalArgumentException("itemCapacity must be positive: " + itemCapacity);
        }
        for (ByteBuffer buffer : groupBuffers) {
            if (buffer.capacity() < GROUP_BUFFER_LENGTH) {
                throw new IllegalArgumentException("a group buffer needs " + GROUP_BUFFER_LENGTH + " bytes");
            }
            buffer.order(ByteOrder.BIG_ENDIAN).clear();
        }
        this.groupBuffers = groupBuffers.clone();
        this.groupIpLength = new int[groupBuffers.length];
        this.groupSegments = new int[groupBuffers.length];
        this.itemTag = new int[itemCapacity];
        this.itemGroup = new int[itemCapacity];
        this.itemBuffer = new ByteBuffer[itemCapacity];
        this.itemOffset = new int[itemCapacity];
        this.itemLength = new int[itemCapacity];
        int openFlows = Math.max(MIN_OPEN_FLOWS, groupBuffers.length);
        this.openItem = new int[openFlows];
        this.openVersion = new int[openFlows];
        this.openSourceHigh = new long[openFlows];
        this.openSourceLow = new long[openFlows];
        this.openDestinationHigh = new long[openFlows];
        this.openDestinationLow = new long[openFlows];
        this.openPorts = new int[openFlows];
        this.openNextSequence = new int[openFlows];
        this.openSegmentPayload = new int[openFlows];
        reset();
    }

    private static ByteBuffer[] directBuffers(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("maxGroups must be positive: " + count);
        }
        ByteBuffer[] buffers = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            buffers[i] = ByteBuffer.allocateDirect(GROUP_BUFFER_LENGTH);
        }
        return buffers;
    }

    /** Forgets the previous batch: its items, groups and open flows. */
    public void reset() {
        itemCount = 0;
        groupsUsed = 0;
        Arrays.fill(openItem, FREE);
    }

    /** Offers the IP packet at {@code buf[offset, offset+length)} (no virtio header); tag is the caller's slot number. */
    public void add(ByteBuffer buf, int offset, int length, int tag) {
        if (candidate.wrap(buf, offset, length) != WireError.OK || !candidate.isTcp()) {
            addItem(buf, offset, length, tag);
            return;
        }
        int slot = findOpenFlow();
        if (!glueable(candidate)) {
            close(slot);
            addItem(buf, offset, length, tag);
            return;
        }
        if (slot != FREE && tryAppend(slot, buf, offset, length, tag)) {
            return;
        }
        close(slot);
        openHead(buf, offset, length, tag);
    }

    // Only plain data segments are glued: no options in IP, DF set, ACK alone or with PSH, some payload.
    private static boolean glueable(InnerPacket packet) {
        int flags = packet.tcp().flags();
        if (flags != TcpHeader.ACK && flags != (TcpHeader.ACK | TcpHeader.PSH)) {
            return false;
        }
        if (payloadOf(packet) <= 0 || packet.totalLength() > MAX_IP_LENGTH) {
            return false;
        }
        if (packet.version() == 4) {
            return packet.headerLength() == Ipv4Header.MIN_LENGTH && !packet.isFragment()
                && (packet.buffer().getShort(packet.offset() + IPV4_FLAGS_AT) & IPV4_DF) != 0;
        }
        return packet.headerLength() == Ipv6Header.LENGTH;
    }

    private static int payloadOf(InnerPacket packet) {
        return packet.l4Length() - packet.tcp().headerLength();
    }

    /** @return true when the candidate was dealt with (glued, or written alone for a bad checksum) */
    private boolean tryAppend(int slot, ByteBuffer buf, int offset, int length, int tag) {
        int item = openItem[slot];
        int group = itemGroup[item];
        int ipLength = group == NO_GROUP ? itemLength[item] : groupIpLength[group];
        if (group == NO_GROUP) {
            head.wrap(itemBuffer[item], itemOffset[item], ipLength);
        } else {
            head.wrap(groupBuffers[group], VirtioNetHeader.LENGTH, ipLength);
        }
        int payload = payloadOf(candidate);
        int segments = group == NO_GROUP ? 1 : groupSegments[group];
        if (!sameHeaders(head, candidate) || candidate.tcp().sequence() != openNextSequence[slot]
            || payload > openSegmentPayload[slot] || segments == MAX_SEGMENTS
            || ipLength + payload > MAX_IP_LENGTH) {
            return false;
        }
        if (!checksumsGood(candidate)) {
            close(slot);
            addItem(buf, offset, length, tag);
            return true;
        }
        if (group == NO_GROUP) {
            // The first segment is verified only now, when something is to be glued to it.
            if (!checksumsGood(head)) {
                return false; // the head goes alone, as it came; the candidate starts afresh
            }
            if (groupsUsed == groupBuffers.length) {
                return false;
            }
            group = startGroup(item);
            head.wrap(groupBuffers[group], VirtioNetHeader.LENGTH, itemLength[item]);
        }
        append(slot, group, buf, offset + length - payload, payload);
        return true;
    }

    // Everything but length, ID, sequence and checksums must be equal for the kernel to glue.
    private static boolean sameHeaders(InnerPacket first, InnerPacket next) {
        if (first.version() != next.version()) {
            return false;
        }
        ByteBuffer a = first.buffer();
        ByteBuffer b = next.buffer();
        int ipA = first.offset();
        int ipB = next.offset();
        if (first.version() == 4) {
            if (a.get(ipA + IPV4_TOS_AT) != b.get(ipB + IPV4_TOS_AT) || first.ttl() != next.ttl()) {
                return false;
            }
        } else if (a.getInt(ipA) != b.getInt(ipB) || first.ttl() != next.ttl()) {
            return false;
        }
        TcpHeader x = first.tcp();
        TcpHeader y = next.tcp();
        int headerLength = x.headerLength();
        return headerLength == y.headerLength() && x.acknowledgement() == y.acknowledgement()
            && x.window() == y.window()
            && sameBytes(a, x.offset() + TcpHeader.MIN_LENGTH, b, y.offset() + TcpHeader.MIN_LENGTH,
                headerLength - TcpHeader.MIN_LENGTH);
    }

    // TCP options are whole 4-byte words; ByteBuffer.mismatch over regions would need slices.
    private static boolean sameBytes(ByteBuffer a, int at, ByteBuffer b, int bt, int length) {
        for (int i = 0; i < length; i += 4) {
            if (a.getInt(at + i) != b.getInt(bt + i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean checksumsGood(InnerPacket packet) {
        ByteBuffer buffer = packet.buffer();
        if (packet.version() == 4 && !Checksums.verifyIpv4Header(buffer, packet.offset(), packet.headerLength())) {
            return false;
        }
        long sum = Checksums.pseudoHeader(buffer, packet, packet.l4Length());
        return Checksums.finish(Checksums.partialSum(buffer, packet.l4Offset(), packet.l4Length(), sum)) == 0;
    }

    private int startGroup(int item) {
        int group = groupsUsed++;
        ByteBuffer target = groupBuffers[group];
        int headLength = itemLength[item];
        target.put(VirtioNetHeader.LENGTH, itemBuffer[item], itemOffset[item], headLength);
        int ipHeader = head.headerLength();
        vnet.wrap(target, 0)
            .flags(VirtioNetHeader.F_NEEDS_CSUM)
            .gsoType(head.version() == 4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6)
            .hdrLen(ipHeader + head.tcp().headerLength())
            .gsoSize(payloadOf(head))
            .csumStart(ipHeader)
            .csumOffset(TCP_CHECKSUM_AT);
        groupIpLength[group] = headLength;
        groupSegments[group] = 1;
        itemGroup[item] = group;
        return group;
    }

    private void append(int slot, int group, ByteBuffer buf, int payloadOffset, int payload) {
        ByteBuffer target = groupBuffers[group];
        int ipLength = groupIpLength[group];
        target.put(VirtioNetHeader.LENGTH + ipLength, buf, payloadOffset, payload);
        ipLength += payload;
        groupIpLength[group] = ipLength;
        groupSegments[group]++;
        openNextSequence[slot] += payload;
        boolean push = (candidate.tcp().flags() & TcpHeader.PSH) != 0;
        rewriteGroupHeaders(target, ipLength, push);
        if (push || payload < openSegmentPayload[slot] || groupSegments[group] == MAX_SEGMENTS) {
            close(slot);
        }
    }

    // The super-packet's own lengths, and the pseudo-header sum the kernel expects for CHECKSUM_PARTIAL.
    private void rewriteGroupHeaders(ByteBuffer target, int ipLength, boolean push) {
        int ip = VirtioNetHeader.LENGTH;
        if (head.version() == 4) {
            groupIpv4.wrap(target, ip).totalLength(ipLength);
            groupIpv4.checksum(Checksums.ipv4Header(target, ip, Ipv4Header.MIN_LENGTH));
        } else {
            groupIpv6.wrap(target, ip).payloadLength(ipLength - Ipv6Header.LENGTH);
        }
        int tcpLength = ipLength - head.headerLength();
        groupTcp.wrap(target, ip + head.headerLength());
        if (push) {
            groupTcp.flags(groupTcp.flags() | TcpHeader.PSH);
        }
        long pseudo = Checksums.pseudoHeader(head.buffer(), head, tcpLength);
        groupTcp.checksum(~Checksums.finish(pseudo) & 0xFFFF);
    }

    private void openHead(ByteBuffer buf, int offset, int length, int tag) {
        int item = addItem(buf, offset, length, tag);
        if ((candidate.tcp().flags() & TcpHeader.PSH) != 0) {
            return; // nothing may follow a PSH
        }
        int slot = freeSlot();
        openItem[slot] = item;
        openVersion[slot] = candidate.version();
        openSourceHigh[slot] = sourceHigh(candidate);
        openSourceLow[slot] = sourceLow(candidate);
        openDestinationHigh[slot] = destinationHigh(candidate);
        openDestinationLow[slot] = destinationLow(candidate);
        openPorts[slot] = ports(candidate);
        int payload = payloadOf(candidate);
        openNextSequence[slot] = candidate.tcp().sequence() + payload;
        openSegmentPayload[slot] = payload;
    }

    private int findOpenFlow() {
        int version = candidate.version();
        long sourceHigh = sourceHigh(candidate);
        long sourceLow = sourceLow(candidate);
        long destinationHigh = destinationHigh(candidate);
        long destinationLow = destinationLow(candidate);
        int ports = ports(candidate);
        for (int slot = 0; slot < openItem.length; slot++) {
            if (openItem[slot] != FREE && openPorts[slot] == ports && openVersion[slot] == version
                && openSourceLow[slot] == sourceLow && openDestinationLow[slot] == destinationLow
                && openSourceHigh[slot] == sourceHigh && openDestinationHigh[slot] == destinationHigh) {
                return slot;
            }
        }
        return FREE;
    }

    // A free slot, or the one of the flow that opened longest ago: closing a flow never reorders it.
    private int freeSlot() {
        int oldest = 0;
        for (int slot = 0; slot < openItem.length; slot++) {
            if (openItem[slot] == FREE) {
                return slot;
            }
            if (openItem[slot] < openItem[oldest]) {
                oldest = slot;
            }
        }
        return oldest;
    }

    private void close(int slot) {
        if (slot != FREE) {
            openItem[slot] = FREE;
        }
    }

    private static long sourceHigh(InnerPacket packet) {
        return packet.version() == 4 ? 0L : packet.ipv6SourceHigh();
    }

    private static long sourceLow(InnerPacket packet) {
        return packet.version() == 4 ? packet.ipv4Source() & 0xFFFFFFFFL : packet.ipv6SourceLow();
    }

    private static long destinationHigh(InnerPacket packet) {
        return packet.version() == 4 ? 0L : packet.ipv6DestinationHigh();
    }

    private static long destinationLow(InnerPacket packet) {
        return packet.version() == 4 ? packet.ipv4Destination() & 0xFFFFFFFFL : packet.ipv6DestinationLow();
    }

    private static int ports(InnerPacket packet) {
        return (packet.sourcePort() << 16) | packet.destinationPort();
    }

    private int addItem(ByteBuffer buf, int offset, int length, int tag) {
        if (itemCount == itemTag.length) {
            growItems();
        }
        int item = itemCount++;
        itemTag[item] = tag;
        itemGroup[item] = NO_GROUP;
        itemBuffer[item] = buf;
        itemOffset[item] = offset;
        itemLength[item] = length;
        return item;
    }

    // Only a batch larger than any before it gets here; the table keeps its new size.
    private void growItems() {
        int capacity = itemTag.length * 2;
        itemTag = Arrays.copyOf(itemTag, capacity);
        itemGroup = Arrays.copyOf(itemGroup, capacity);
        itemBuffer = Arrays.copyOf(itemBuffer, capacity);
        itemOffset = Arrays.copyOf(itemOffset, capacity);
        itemLength = Arrays.copyOf(itemLength, capacity);
    }

    /** How many items the batch gave: groups and passthrough packets, in the order to write them. */
    public int itemCount() {
        return itemCount;
    }

    /** True when the item is a super-packet of two or more segments in a group buffer. */
    public boolean isGroup(int item) {
        return itemGroup[item] != NO_GROUP;
    }

    /** For a passthrough item: the tag given to add (for a group: its first segment's tag). */
    public int tag(int item) {
        return itemTag[item];
    }

    /** How many segments the item holds: 1 for a passthrough item. */
    public int segments(int item) {
        int group = itemGroup[item];
        return group == NO_GROUP ? 1 : groupSegments[group];
    }

    /** The buffer holding a group item (virtio_net_hdr + super-packet); null for a passthrough item. */
    public ByteBuffer groupBuffer(int item) {
        int group = itemGroup[item];
        return group == NO_GROUP ? null : groupBuffers[group];
    }

    /** Where the group item's virtio_net_hdr starts in {@link #groupBuffer}. */
    public int groupOffset(int item) {
        return 0;
    }

    /** virtio_net_hdr + IP packet of a group item, in bytes (0 for a passthrough item). */
    public int groupLength(int item) {
        int group = itemGroup[item];
        return group == NO_GROUP ? 0 : VirtioNetHeader.LENGTH + groupIpLength[group];
    }
}
