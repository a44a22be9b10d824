package io.astaire.dataplane.tun;

import java.util.List;
import java.util.StringJoiner;

/**
 * What a TUN device was given: whether reads and writes carry a virtio_net_hdr, and which of the
 * offloads the kernel accepted with {@code TUNSETOFFLOAD} (the {@code TUN_F_*} bits), so the edge
 * can log it, publish it as gauges and know whether super-packets will arrive.
 *
 * @param vnetHeader every read and write starts with a 10-byte virtio_net_hdr
 * @param flags the accepted {@code TUN_F_*} bits (0 without a vnet header)
 */
public record TunOffloads(boolean vnetHeader, int flags) {
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;

    /** The plain device of before: bare packets, no offloads. */
    public static final TunOffloads NONE = new TunOffloads(false, 0);

    /** Each offload with its short name, in the order logs and metrics show them. */
    public enum Feature {
        CSUM("csum", TUN_F_CSUM), TSO4("tso4", TUN_F_TSO4), TSO6("tso6", TUN_F_TSO6),
        USO4("uso4", TUN_F_USO4), USO6("uso6", TUN_F_USO6);

        private final String label;
        private final int bit;

        Feature(String label, int bit) {
            this.label = label;
            this.bit = bit;
        }

        public String label() {
            return label;
        }

        public int bit() {
            return bit;
        }
    }

    public static final List<Feature> FEATURES = List.of(Feature.values());

    public boolean has(Feature feature) {
        return (flags & feature.bit) != 0;
    }

    /** For the start-up log: {@code vnet header, offloads csum tso4 tso6 uso4 uso6}, or {@code no offloads}. */
    public String describe() {
        if (!vnetHeader) {
            return "no offloads (plain packets)";
        }
        StringJoiner on = new StringJoiner(" ");
        for (Feature f : FEATURES) {
            if (has(f)) {
                on.add(f.label);
            }
        }
        return "vnet header, offloads " + (on.length() == 0 ? "none" : on.toString());
    }
}
