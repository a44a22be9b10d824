package io.astaire.model;

import java.util.List;

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

    /** The number of functions on the path (the endpoint excluded). */
    public int functionCount() {
        return hops.size() - 1;
    }
}
