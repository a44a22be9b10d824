package io.astaire.function;

/** What the node does with a packet once a function has seen it. */
public enum Verdict {
    /** Hand the packet (as the function left it) to the next function, or forward it to the next hop. */
    FORWARD,
    /** Discard the packet; the node counts it as dropped by this function. */
    DROP
}
