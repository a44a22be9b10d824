package io.astaire.dataplane.edge;

/** Why an edge dropped a packet; each has its own counter ({@code reason="..."}). */
public enum DropReason {
    /** From the TUN device: no rule matched and there is no default chain (or, at the egress, no symmetric one). */
    NO_MATCH("no_match"),
    /** From the TUN device: not a valid IPv4/IPv6 packet. */
    TUN_MALFORMED("tun_malformed"),
    /** The classified path has no first hop here, or its name resolves to no address yet. */
    NO_ROUTE("no_route"),
    /** The kernel refused to send the datagram (no route, too big, socket closed). */
    SEND_FAILED("send_failed"),
    /** From the network: not a valid VXLAN-GPE + NSH datagram (the wire error is counted too). */
    DECAP_MALFORMED("decap_malformed"),
    /** From the network: larger than the receive buffer. */
    TRUNCATED("truncated"),
    /** From the network: its (SPI, SI) does not end at this edge. */
    UNKNOWN_PATH("unknown_path"),
    /** From the network: the inner packet is not a valid IP packet of the NSH's next protocol. */
    INNER_MALFORMED("inner_malformed"),
    /** The kernel refused the inner packet written to the TUN device. */
    TUN_WRITE_FAILED("tun_write_failed");

    private final String label;

    DropReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
