package io.astaire.dataplane.edge;

import java.util.Locale;

/**
 * Whether an edge asks its TUN device for segmentation offloads ({@code --offload}): AUTO takes a
 * virtio_net_hdr and whatever offloads the kernel has, so TCP crosses the TUN as 64 KB
 * super-packets; OFF reads and writes one bare packet per system call, as before.
 */
public enum OffloadMode {
    AUTO, OFF;

    /** {@code auto} or {@code off}, in any case; anything else fails naming the choices. */
    public static OffloadMode parse(String text) {
        if (text != null) {
            switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "auto" -> {
                    return AUTO;
                }
                case "off" -> {
                    return OFF;
                }
                default -> { }
            }
        }
        throw new IllegalArgumentException("--offload must be auto or off, was " + text);
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
