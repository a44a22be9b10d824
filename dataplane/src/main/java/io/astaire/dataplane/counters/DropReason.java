package io.astaire.dataplane.counters;

/**
 * Why a packet was dropped, for every role: the one table behind the {@code reason} label of
 * {@code astaire_sf_dropped_packets_total} (function node) and
 * {@code astaire_edge_dropped_packets_total} (ingress, egress). Each reason says where it can
 * happen, so a role's /metrics shows only its own.
 */
public enum DropReason {
    // --- function node ---
    /** The datagram is not valid VXLAN-GPE + NSH + IP; detail says what the decoder found. */
    MALFORMED("malformed", true, false),
    /** NSH TTL reached 0 at this forwarder. */
    TTL_EXPIRED("ttl_expired", true, false),
    /** No route for (SPI, SI) here: unknown path, a hop this node does not host, or (edge) not ending here. */
    UNKNOWN_PATH("unknown_path", true, true),
    /** A function returned DROP (detail: the function). */
    FUNCTION_VERDICT("function_verdict", true, false),
    /** The next hop's name resolves to no address (yet). */
    NO_NEXT_HOP("no_next_hop", true, false),
    /** The kernel refused the datagram (no route, too big, socket closed). */
    SEND_FAILED("send_failed", true, true),
    /** A function or the node threw on this packet; the worker went on. */
    INTERNAL_ERROR("internal_error", true, false),
    // --- edges ---
    /** From the TUN device: no rule matched and there is no default chain (or, at the egress, no symmetric one). */
    NO_MATCH("no_match", false, true),
    /** From the TUN device: not a valid IPv4/IPv6 packet (by wire error in {@code astaire_edge_tun_malformed_packets_total}). */
    TUN_MALFORMED("tun_malformed", false, true),
    /** The classified path has no first hop here, or its name resolves to no address yet. */
    NO_ROUTE("no_route", false, true),
    /** From the network: not a valid VXLAN-GPE + NSH datagram (the wire error is counted too). */
    DECAP_MALFORMED("decap_malformed", false, true),
    /** From the network: larger than the receive buffer. */
    TRUNCATED("truncated", false, true),
    /** From the network: the inner packet is not a valid IP packet of the NSH's next protocol. */
    INNER_MALFORMED("inner_malformed", false, true),
    /** The kernel refused the inner packet written to the TUN device. */
    TUN_WRITE_FAILED("tun_write_failed", false, true);

    /** The detail label for a truncated datagram at a function node (longer than its maximum). */
    public static final String DATAGRAM_TRUNCATED = "datagram_truncated";

    private final String label;
    private final boolean atNode;
    private final boolean atEdge;

    DropReason(String label, boolean atNode, boolean atEdge) {
        this.label = label;
        this.atNode = atNode;
        this.atEdge = atEdge;
    }

    public String label() {
        return label;
    }

    /** Whether a function node can drop for this reason. */
    public boolean atNode() {
        return atNode;
    }

    /** Whether an ingress or egress can drop for this reason. */
    public boolean atEdge() {
        return atEdge;
    }
}
