package io.astaire.wire;

import java.nio.ByteBuffer;

/**
 * Internet checksums (RFC 1071) over buffer regions: the IPv4 header checksum, TCP/UDP and ICMPv6
 * checksums with their pseudo-headers, ICMPv4, and the RFC 1624 incremental update used when one
 * field changes. Values are 16-bit unsigned ints, ready to put in the checksum field.
 */
public final class Checksums {

    private Checksums() {
    }

    /**
     * The one's-complement sum (not yet folded or inverted) of {@code length} bytes at
     * {@code offset}, added to {@code initial}. An odd last byte is padded with zero.
     */
    public static long partialSum(ByteBuffer buffer, int offset, int length, long initial) {
        // Sums 32-bit big-endian words into a 64-bit accumulator (folded later by finish): the
        // carries of a 16-bit one's-complement sum pile up in the high bits, so no per-word carry
        // handling is needed. Four 8-byte loads per round: this loop is most of the CPU an edge
        // spends on a TSO super-packet (every segment's TCP checksum, every glued one's check).
        long sum = initial;
        int position = offset;
        int end = offset + length;
        while (end - position >= 32) {
            long a = buffer.getLong(position);
            long b = buffer.getLong(position + 8);
            long c = buffer.getLong(position + 16);
            long d = buffer.getLong(position + 24);
            sum += (a >>> 32) + (a & 0xFFFFFFFFL) + (b >>> 32) + (b & 0xFFFFFFFFL)
                    + (c >>> 32) + (c & 0xFFFFFFFFL) + (d >>> 32) + (d & 0xFFFFFFFFL);
            position += 32;
        }
        while (end - position >= 4) {
            sum += buffer.getInt(position) & 0xFFFFFFFFL;
            position += 4;
        }
        if (end - position >= 2) {
            sum += buffer.getShort(position) & 0xFFFF;
            position += 2;
        }
        if (position < end) {
            sum += (buffer.get(position) & 0xFF) << 8;
        }
        return sum;
    }

    /** Folds a partial sum to 16 bits and inverts it: the value for a checksum field. */
    public static int finish(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    /**
     * The IPv4 header checksum for the header at {@code offset}, computed as if its checksum field
     * were zero (so the current field's value does not matter).
     */
    public static int ipv4Header(ByteBuffer buffer, int offset, int headerLength) {
        long sum = partialSum(buffer, offset, 10, 0);
        sum = partialSum(buffer, offset + 12, headerLength - 12, sum);
        return finish(sum);
    }

    /** True when the IPv4 header at {@code offset} carries a correct checksum. */
    public static boolean verifyIpv4Header(ByteBuffer buffer, int offset, int headerLength) {
        return finish(partialSum(buffer, offset, headerLength, 0)) == 0;
    }

    /**
     * The TCP or UDP checksum of the wrapped packet (pseudo-header of its IP version included),
     * computed as if the checksum field were zero. For UDP a computed 0 is returned as 0xFFFF
     * (RFC 768). Returns -1 when the packet is neither TCP nor UDP with its header present.
     */
    public static int transport(ByteBuffer buffer, InnerPacket packet) {
        int checksumAt;
        if (packet.isTcp()) {
            checksumAt = 16;
        } else if (packet.isUdp()) {
            checksumAt = 6;
        } else {
            return -1;
        }
        int result = finish(withoutField(buffer, packet, checksumAt));
        return packet.isUdp() && result == 0 ? 0xFFFF : result;
    }

    /**
     * The ICMP checksum (IPv4: over the message; ICMPv6: pseudo-header included), computed as if
     * the checksum field were zero; -1 when the packet is not ICMP with its header present.
     */
    public static int icmp(ByteBuffer buffer, InnerPacket packet) {
        if (!packet.isIcmp()) {
            return -1;
        }
        if (packet.version() == 4) {
            int l4 = packet.l4Offset();
            long sum = partialSum(buffer, l4, 2, 0);
            sum = partialSum(buffer, l4 + 4, packet.l4Length() - 4, sum);
            return finish(sum);
        }
        return finish(withoutField(buffer, packet, 2));
    }

    private static long withoutField(ByteBuffer buffer, InnerPacket packet, int checksumAt) {
        int l4 = packet.l4Offset();
        int l4Length = packet.l4Length();
        long sum = pseudoHeader(buffer, packet, l4Length);
        sum = partialSum(buffer, l4, checksumAt, sum);
        return partialSum(buffer, l4 + checksumAt + 2, l4Length - checksumAt - 2, sum);
    }

    /** The partial sum of the pseudo-header (RFC 793 for IPv4, RFC 8200 section 8.1 for IPv6). */
    public static long pseudoHeader(ByteBuffer buffer, InnerPacket packet, int upperLayerLength) {
        int ip = packet.offset();
        if (packet.version() == 4) {
            long sum = partialSum(buffer, ip + 12, 8, 0);
            return sum + packet.protocol() + upperLayerLength;
        }
        long sum = partialSum(buffer, ip + 8, 32, 0);
        return sum + (upperLayerLength >>> 16) + (upperLayerLength & 0xFFFF) + packet.protocol();
    }

    /** Recomputes and writes the IPv4 header checksum and the TCP/UDP/ICMP checksum of the packet. */
    public static void updateAll(ByteBuffer buffer, InnerPacket packet) {
        if (packet.version() == 4) {
            int headerLength = packet.ipv4().headerLength();
            packet.ipv4().checksum(ipv4Header(buffer, packet.offset(), headerLength));
        }
        if (packet.isTcp()) {
            packet.tcp().checksum(transport(buffer, packet));
        } else if (packet.isUdp()) {
            packet.udp().checksum(transport(buffer, packet));
        } else if (packet.isIcmp()) {
            packet.icmp().checksum(icmp(buffer, packet));
        }
    }

    /**
     * RFC 1624 eqn. 3: the new checksum after one 16-bit word covered by {@code oldChecksum}
     * changed from {@code oldWord} to {@code newWord}: {@code HC' = ~(~HC + ~m + m')}.
     */
    public static int incrementalUpdate(int oldChecksum, int oldWord, int newWord) {
        long sum = (~oldChecksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        return finish(sum);
    }

    /** {@link #incrementalUpdate} for a 32-bit field (an IPv4 address), as two 16-bit words. */
    public static int incrementalUpdate32(int oldChecksum, int oldValue, int newValue) {
        int checksum = incrementalUpdate(oldChecksum, oldValue >>> 16, newValue >>> 16);
        return incrementalUpdate(checksum, oldValue & 0xFFFF, newValue & 0xFFFF);
    }
}
