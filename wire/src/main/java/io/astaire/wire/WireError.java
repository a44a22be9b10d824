package io.astaire.wire;

/**
 * Why a decoder refused a buffer. Decoders return one of these instead of throwing, so the packet
 * path can drop the packet and count it by reason. {@link #OK} means the view is valid: every
 * offset and length it reports lies inside the region it was given.
 */
public enum WireError {
    /** Valid: the view may be used. */
    OK("ok"),
    /** Fewer bytes than a fixed-size header needs, or the region lies outside the buffer. */
    TRUNCATED("truncated"),
    /** VXLAN-GPE version bits are not 0. */
    BAD_GPE_VERSION("bad_gpe_version"),
    /** VXLAN-GPE flags unusable: the P bit (next protocol present) is clear. */
    BAD_GPE_FLAGS("bad_gpe_flags"),
    /** VXLAN-GPE next protocol is not one IANA registered (1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS). */
    UNKNOWN_GPE_NEXT_PROTOCOL("unknown_gpe_next_protocol"),
    /** VXLAN-GPE carries something other than NSH where NSH is required. */
    GPE_NOT_NSH("gpe_not_nsh"),
    /** NSH version is not 0. */
    BAD_VERSION("bad_version"),
    /** NSH length field is below the minimum, disagrees with the MD type, or overruns the datagram. */
    BAD_LENGTH("bad_length"),
    /** NSH MD type is neither 1 nor 2 (0 reserved, 0xF experimental, the rest unassigned). */
    UNKNOWN_MD_TYPE("unknown_md_type"),
    /** An MD type 2 context header (TLV) does not fit inside the NSH length. */
    TLV_OVERRUN("tlv_overrun"),
    /** NSH next protocol is not one IANA registered (1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS). */
    UNKNOWN_NEXT_PROTOCOL("unknown_next_protocol"),
    /** The inner packet is shorter than its IP, extension or transport header. */
    INNER_TRUNCATED("inner_truncated"),
    /** The inner IP length field (IPv4 total length, IPv6 payload length, UDP length) disagrees with the bytes present. */
    INNER_LENGTH_MISMATCH("inner_length_mismatch"),
    /** The inner packet's IP version is neither 4 nor 6 (or disagrees with the NSH next protocol). */
    BAD_IP_VERSION("bad_ip_version"),
    /** IPv4 IHL below 5, or beyond the total length. */
    BAD_IP_HEADER_LENGTH("bad_ip_header_length"),
    /** An IPv6 extension header chain too long to walk, or an extension header with an impossible length. */
    BAD_EXTENSION_HEADER("bad_extension_header"),
    /** A TCP data offset below 5 or beyond the segment. */
    BAD_L4_HEADER("bad_l4_header");

    private final String label;

    WireError(String label) {
        this.label = label;
    }

    /** A stable lower-case name for metrics labels ({@code reason="tlv_overrun"}). */
    public String label() {
        return label;
    }

    /** True for {@link #OK}. */
    public boolean ok() {
        return this == OK;
    }
}
