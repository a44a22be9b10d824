package io.astaire.model;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * One direction of a chain as the data plane walks it: the SPI, and the hops in order. The
 * packet leaves the classifier with SI 255 addressed to {@code hops.get(0)}; each function
 * decrements SI, so a packet with service index {@code si} is due at {@code hops.get(255 - si)}.
 * The last hop is the endpoint (egress, or ingress on a reverse path), which applies no function.
 */
public record ServicePath(int spi, String chain, boolean reverse, List<Hop> hops) {

    public static final int INITIAL_SI = 255;

    /** A step of the path: a function (its name, kind and address) or the terminating endpoint. */
    public record Hop(String name, HopAddress address, boolean endpoint) {}

    public ServicePath {
        hops = List.copyOf(hops);
    }

    /** The hop a packet carrying {@code si} is addressed to, or null when the SI is outside the path. */
    public Hop hopFor(int si) {
        int index = INITIAL_SI - si;
        return index >= 0 && index < hops.size() ? hops.get(index) : null;
    }

    /**
     * A 32-bit fingerprint of everything a packet of this path is routed by: the SPI, the
     * direction, and every hop's name, address and endpoint flag, in order. Never 0 (0 on the wire
     * means "unversioned"). The same on every process and start (no randomised hashing), so the
     * controller, the nodes and the edges agree on it without talking, with or without a
     * controller. What does not change where a packet goes (a function's kind or config, its
     * replica count, the chain's rules) does not change it.
     *
     * <p>Carried in MD type 1 context word 3 so a node can route a packet by the path it was sent
     * on while a change propagates (see docs/wire.md).
     */
    public int generation() {
        CRC32C crc = new CRC32C();
        StringBuilder sb = new StringBuilder(32 * hops.size() + 16);
        sb.append(spi).append(reverse ? "/r" : "/f");
        for (Hop h : hops) {
            // Separators that cannot occur in names or addresses keep "a","bc" apart from "ab","c".
            sb.append('\n').append(h.name()).append('\t').append(h.address()).append('\t').append(h.endpoint() ? 'e' : 'f');
        }
        crc.update(sb.toString().getBytes(StandardCharsets.UTF_8));
        int g = (int) crc.getValue();
        return g == 0 ? 1 : g;
    }

    /** The number of functions on the path (the endpoint excluded). */
    public int functionCount() {
        return hops.size() - 1;
    }
}
