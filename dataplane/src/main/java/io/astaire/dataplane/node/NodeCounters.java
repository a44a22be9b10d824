package io.astaire.dataplane.node;

import io.astaire.wire.WireError;

/**
 * The node-wide counters, striped per worker: datagrams received, and drops by reason (malformed
 * by {@link WireError}). Workers write their own stripe; scrapes sum.
 */
final class NodeCounters {

    private static final int WIRE_ERRORS = WireError.values().length;
    static final int DATAGRAMS = 0;
    static final int BYTES = 1;
    static final int TRUNCATED = 2;
    private static final int REASONS = 3;                                   // DropReason ordinals
    private static final int MALFORMED_BASE = REASONS + DropReason.values().length; // WireError ordinals
    static final int STRIDE = ((MALFORMED_BASE + WIRE_ERRORS + 15) / 16) * 16;

    final long[] values;

    NodeCounters(int workers) {
        values = new long[(workers + 1) * STRIDE];
    }

    static int base(int worker) {
        return worker * STRIDE;
    }

    static int reason(DropReason reason) {
        return REASONS + reason.ordinal();
    }

    static int malformed(WireError error) {
        return MALFORMED_BASE + error.ordinal();
    }

    void add(int worker, int index, long delta) {
        Counters.add(values, worker * STRIDE + index, delta);
    }

    long sum(int index) {
        return Counters.sum(values, index, STRIDE);
    }

    /** One worker's count, read from another thread (a plain read of a counter only that worker writes). */
    long ofWorker(int worker, int index) {
        return Counters.get(values, worker * STRIDE + index);
    }

    long drops(DropReason reason) {
        return sum(reason(reason));
    }

    long malformedDrops(WireError error) {
        return sum(malformed(error));
    }
}
