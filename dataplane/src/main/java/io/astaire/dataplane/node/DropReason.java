package io.astaire.dataplane.node;

import io.astaire.wire.WireError;

/**
 * Why a node dropped a packet: the {@code reason} label of {@code astaire_sf_dropped_packets_total}.
 * {@link #MALFORMED} carries the decoder's {@link WireError} (or {@code datagram_truncated}) as its
 * {@code detail}; {@link #FUNCTION_VERDICT} carries the function's name.
 */
public enum DropReason {
    /** The datagram is not valid VXLAN-GPE + NSH + IP; detail says what the decoder found. */
    MALFORMED("malformed"),
    /** NSH TTL reached 0 at this forwarder. */
    TTL_EXPIRED("ttl_expired"),
    /** No route for (SPI, SI) here: unknown path, or a hop this node does not host. */
    UNKNOWN_PATH("unknown_path"),
    /** A function returned DROP. */
    FUNCTION_VERDICT("function_verdict"),
    /** The next hop's name resolves to no address (yet). */
    NO_NEXT_HOP("no_next_hop"),
    /** The kernel refused the datagram (no route, too big, socket closed). */
    SEND_FAILED("send_failed"),
    /** A function or the node threw on this packet; the worker went on. */
    INTERNAL_ERROR("internal_error");

    private final String label;

    DropReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The detail label for a truncated datagram (longer than the node's maximum). */
    public static final String DATAGRAM_TRUNCATED = "datagram_truncated";
}
