package io.astaire.dataplane.edge;

import io.astaire.model.ServicePath;

/**
 * Which end of the chains an edge is. Both read IP packets from a TUN device and send them into
 * paths, and both receive paths that end at them and write the inner packets to the TUN device;
 * they differ in which paths those are and in which classifier rules apply.
 */
public enum EdgeRole {
    /** The head: classifies with the rules to forward paths; reverse paths end here. */
    INGRESS,
    /** The tail: forward paths end here; classifies replies with the reversed rules to reverse paths. */
    EGRESS;

    /** Paths this edge sends packets into from its TUN device. */
    public boolean originates(ServicePath path) {
        return this == INGRESS ? !path.reverse() : path.reverse();
    }

    /** Paths whose packets end here and leave through the TUN device. */
    public boolean terminates(ServicePath path) {
        return this == INGRESS ? path.reverse() : !path.reverse();
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
