package io.astaire.wire;

/**
 * The 5-tuple of an inner packet: family, source and destination address, protocol, ports.
 * Mutable and reusable on the packet path ({@link #from(InnerPacket)} overwrites it); take a
 * {@link #copy()} to keep one as a map key. IPv4 addresses sit in the low 32 bits of
 * {@code sourceLow}/{@code destinationLow} with the high words zero. ICMP echo messages use the
 * echo identifier as both ports, so ping flows are told apart; other ICMP has ports 0.
 *
 * <p>{@link #symmetricHash()} is the same for a flow and its reverse, which is how both
 * directions of a connection reach the same replica of a stateful function.
 */
public final class FlowKey {

    private int family;
    private int protocol;
    private long sourceHigh;
    private long sourceLow;
    private long destinationHigh;
    private long destinationLow;
    private int sourcePort;
    private int destinationPort;

    /** Overwrites this key with the 5-tuple of a validated packet. */
    public FlowKey from(InnerPacket packet) {
        family = packet.version();
        protocol = packet.protocol();
        if (family == 4) {
            sourceHigh = 0;
            sourceLow = packet.ipv4Source() & 0xFFFFFFFFL;
            destinationHigh = 0;
            destinationLow = packet.ipv4Destination() & 0xFFFFFFFFL;
        } else {
            sourceHigh = packet.ipv6SourceHigh();
            sourceLow = packet.ipv6SourceLow();
            destinationHigh = packet.ipv6DestinationHigh();
            destinationLow = packet.ipv6DestinationLow();
        }
        if (packet.isIcmpEcho()) {
            sourcePort = packet.icmp().identifier();
            destinationPort = sourcePort;
        } else {
            sourcePort = packet.sourcePort();
            destinationPort = packet.destinationPort();
        }
        return this;
    }

    /** Sets an IPv4 5-tuple. */
    public FlowKey ipv4(int source, int destination, int protocol, int sourcePort, int destinationPort) {
        this.family = 4;
        this.protocol = protocol;
        this.sourceHigh = 0;
        this.sourceLow = source & 0xFFFFFFFFL;
        this.destinationHigh = 0;
        this.destinationLow = destination & 0xFFFFFFFFL;
        this.sourcePort = sourcePort & 0xFFFF;
        this.destinationPort = destinationPort & 0xFFFF;
        return this;
    }

    /** Sets an IPv6 5-tuple. */
    public FlowKey ipv6(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow, int protocol,
                        int sourcePort, int destinationPort) {
        this.family = 6;
        this.protocol = protocol;
        this.sourceHigh = sourceHigh;
        this.sourceLow = sourceLow;
        this.destinationHigh = destinationHigh;
        this.destinationLow = destinationLow;
        this.sourcePort = sourcePort & 0xFFFF;
        this.destinationPort = destinationPort & 0xFFFF;
        return this;
    }

    /** Swaps source and destination in place: the key of the reply direction. */
    public FlowKey reverse() {
        long high = sourceHigh;
        long low = sourceLow;
        int port = sourcePort;
        sourceHigh = destinationHigh;
        sourceLow = destinationLow;
        sourcePort = destinationPort;
        destinationHigh = high;
        destinationLow = low;
        destinationPort = port;
        return this;
    }

    /** Copies {@code other} into this key. */
    public FlowKey set(FlowKey other) {
        family = other.family;
        protocol = other.protocol;
        sourceHigh = other.sourceHigh;
        sourceLow = other.sourceLow;
        destinationHigh = other.destinationHigh;
        destinationLow = other.destinationLow;
        sourcePort = other.sourcePort;
        destinationPort = other.destinationPort;
        return this;
    }

    /** A new key equal to this one, for use as a map key (do not mutate it afterwards). */
    public FlowKey copy() {
        return new FlowKey().set(this);
    }

    /** 4 or 6. */
    public int family() {
        return family;
    }

    /** The transport protocol number. */
    public int protocol() {
        return protocol;
    }

    /** First 8 bytes of the source address (0 for IPv4). */
    public long sourceHigh() {
        return sourceHigh;
    }

    /** Last 8 bytes of the source address (IPv4: the address in the low 32 bits). */
    public long sourceLow() {
        return sourceLow;
    }

    /** First 8 bytes of the destination address (0 for IPv4). */
    public long destinationHigh() {
        return destinationHigh;
    }

    /** Last 8 bytes of the destination address (IPv4: the address in the low 32 bits). */
    public long destinationLow() {
        return destinationLow;
    }

    /** The IPv4 source address. */
    public int ipv4Source() {
        return (int) sourceLow;
    }

    /** The IPv4 destination address. */
    public int ipv4Destination() {
        return (int) destinationLow;
    }

    /** Source port (ICMP echo: identifier; else 0 without ports). */
    public int sourcePort() {
        return sourcePort;
    }

    /** Destination port (ICMP echo: identifier; else 0 without ports). */
    public int destinationPort() {
        return destinationPort;
    }

    /**
     * A hash equal for this flow and its reverse: each endpoint (address, port) is hashed on its
     * own, the two hashes are ordered, then mixed with family and protocol. Well spread (mixed
     * with a murmur3 finaliser), so {@code Math.floorMod(hash, replicas)} picks evenly.
     */
    public int symmetricHash() {
        long a = endpointHash(sourceHigh, sourceLow, sourcePort);
        long b = endpointHash(destinationHigh, destinationLow, destinationPort);
        long low = Math.min(a, b);
        long high = Math.max(a, b);
        long h = mix(low * 0x9E3779B97F4A7C15L + high);
        h = mix(h ^ ((long) family << 8 | protocol));
        return (int) (h ^ (h >>> 32));
    }

    private static long endpointHash(long high, long low, int port) {
        return mix(mix(high) ^ low) * 31 + port;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowKey k && family == k.family && protocol == k.protocol && sourceHigh == k.sourceHigh
            && sourceLow == k.sourceLow && destinationHigh == k.destinationHigh && destinationLow == k.destinationLow
            && sourcePort == k.sourcePort && destinationPort == k.destinationPort;
    }

    @Override
    public int hashCode() {
        long h = mix(sourceHigh ^ mix(sourceLow));
        h = mix(h ^ destinationHigh ^ mix(destinationLow + 1));
        h = mix(h ^ ((long) sourcePort << 32 | (long) destinationPort << 16 | (long) protocol << 4 | family));
        return (int) (h ^ (h >>> 32));
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        text.append(protocol).append(' ');
        appendAddress(text, sourceHigh, sourceLow);
        text.append(':').append(sourcePort).append(" -> ");
        appendAddress(text, destinationHigh, destinationLow);
        return text.append(':').append(destinationPort).toString();
    }

    private void appendAddress(StringBuilder text, long high, long low) {
        if (family == 4) {
            text.append((low >>> 24) & 0xFF).append('.').append((low >>> 16) & 0xFF).append('.')
                .append((low >>> 8) & 0xFF).append('.').append(low & 0xFF);
        } else {
            text.append('[');
            for (int i = 0; i < 8; i++) {
                long word = i < 4 ? high >>> (48 - 16 * i) : low >>> (48 - 16 * (i - 4));
                if (i > 0) {
                    text.append(':');
                }
                text.append(Long.toHexString(word & 0xFFFF));
            }
            text.append(']');
        }
    }
}
