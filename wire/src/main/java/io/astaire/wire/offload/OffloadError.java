package io.astaire.wire.offload;

/**
 * Why what a TUN read returned (virtio_net_hdr + packet) could not be turned into ordinary IP
 * packets. The packet path drops the read and counts it under {@link #label()}.
 */
public enum OffloadError {
    /** Usable. */
    OK("ok"),
    /** The region is shorter than a virtio_net_hdr, or lies outside the buffer. */
    TRUNCATED("vnet_truncated"),
    /** The packet after the header is longer than 64 KiB. */
    PACKET_TOO_LARGE("vnet_packet_too_large"),
    /** A flag other than NEEDS_CSUM and DATA_VALID is set. */
    UNKNOWN_FLAGS("vnet_unknown_flags"),
    /** The gso type is none of NONE, TCPV4, TCPV6, UDP_L4 (UFO has its own reason). */
    UNKNOWN_GSO_TYPE("vnet_unknown_gso_type"),
    /** UDP fragmentation offload: never negotiated, so never accepted. */
    UFO_UNSUPPORTED("vnet_ufo_unsupported"),
    /** The packet after the header is not a valid IP packet (truncated, lengths that disagree, bad version). */
    IP_INVALID("vnet_ip_invalid"),
    /** The gso type does not match the packet: another IP version or L4 protocol, ECN on UDP, a fragment. */
    GSO_TYPE_MISMATCH("vnet_gso_type_mismatch"),
    /** gso_size is 0, or larger than the payload there is to cut. */
    GSO_SIZE_INVALID("vnet_gso_size_invalid"),
    /** csum_start lies past the packet, or is not where the packet's own headers say L4 starts. */
    CSUM_START_INVALID("vnet_csum_start_invalid"),
    /** csum_offset puts the checksum past the packet, or not on the L4 checksum field. */
    CSUM_OFFSET_INVALID("vnet_csum_offset_invalid"),
    /** hdr_len lies past the packet. */
    HDR_LEN_INVALID("vnet_hdr_len_invalid"),
    /** The destination region cannot hold the segment asked for (a caller's mistake, refused without writing). */
    NO_ROOM("vnet_no_room");

    private final String label;

    OffloadError(String label) {
        this.label = label;
    }

    /** A stable snake_case name for counters ({@code reason="vnet_gso_size_invalid"}). */
    public String label() {
        return label;
    }

    /** True for {@link #OK}. */
    public boolean ok() {
        return this == OK;
    }
}
