package io.astaire.dataplane.node;

import io.astaire.dataplane.counters.CounterLayout;
import io.astaire.dataplane.counters.DropReason;
import io.astaire.wire.WireError;

/**
 * The function node's counters as descriptors of the shared counters model: datagrams and bytes
 * received, and drops by {@link DropReason} (malformed ones by {@link WireError}). /metrics is
 * rendered from these descriptors; workers add to their own stripe by id.
 */
final class NodeCounts {

    static final String DROPPED = "astaire.sf.dropped.packets";
    private static final String DROPPED_HELP = "Packets dropped, by reason (detail: the wire error, or the function)";

    static final CounterLayout LAYOUT;
    static final int DATAGRAMS;
    static final int BYTES;
    static final int TRUNCATED;
    /** Turns of a worker's loop that threw outside any one packet (a receive failing with an unexpected errno). */
    static final int INTERNAL_ERRORS;
    private static final int[] REASONS = new int[DropReason.values().length];
    private static final int[] MALFORMED = new int[WireError.values().length];

    static {
        CounterLayout.Builder b = CounterLayout.builder();
        DATAGRAMS = b.counter("astaire.sf.datagrams.received", "Datagrams read from the socket");
        BYTES = b.counter("astaire.sf.bytes.received", "Bytes of datagrams read from the socket");
        INTERNAL_ERRORS = b.counter("astaire.sf.internal.errors",
                "Turns of a worker's loop that threw outside a packet (a bug, an unexpected errno); the worker went on after a pause");
        TRUNCATED = b.counter(DROPPED, DROPPED_HELP, "reason", DropReason.MALFORMED.label(), "detail", DropReason.DATAGRAM_TRUNCATED);
        java.util.Arrays.fill(REASONS, -1);
        for (DropReason r : DropReason.values()) {
            if (!r.atNode() || r == DropReason.MALFORMED) {
                continue; // malformed: by wire error below
            }
            // function_verdict is shown per function (LocalFunction's counters); here its total only
            REASONS[r.ordinal()] = r == DropReason.FUNCTION_VERDICT
                    ? b.hidden("function_verdict")
                    : b.counter(DROPPED, DROPPED_HELP, "reason", r.label(), "detail", "");
        }
        for (WireError e : WireError.values()) {
            MALFORMED[e.ordinal()] = e == WireError.OK ? -1
                    : b.counter(DROPPED, DROPPED_HELP, "reason", DropReason.MALFORMED.label(), "detail", e.label());
        }
        LAYOUT = b.build();
    }

    private NodeCounts() {}

    /** The id of a drop reason's counter (not {@link DropReason#MALFORMED}: see {@link #malformed}). */
    static int reason(DropReason reason) {
        int id = REASONS[reason.ordinal()];
        if (id < 0) {
            throw new IllegalArgumentException(reason + " is not counted by itself at a function node");
        }
        return id;
    }

    static int malformed(WireError error) {
        return MALFORMED[error.ordinal()];
    }
}
