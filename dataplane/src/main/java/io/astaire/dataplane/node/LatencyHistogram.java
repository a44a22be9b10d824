package io.astaire.dataplane.node;

/**
 * Time packets spend in the node (from the return of the receive call that brought them to
 * the return of the send call that forwarded them), as a histogram with power-of-two nanosecond
 * buckets, striped per worker: recording is two array stores, no allocation.
 */
final class LatencyHistogram {

    /** Bucket k counts latencies in (2^(k-1), 2^k] ns; 2^30 ns is about a second; the last bucket is +Inf. */
    static final int BUCKETS = 32;
    private static final int SUM = BUCKETS;
    private static final int STRIPE = 64; // longs per worker, 512 bytes

    private final long[] values;
    private final int workers;

    LatencyHistogram(int workers) {
        this.workers = workers;
        this.values = new long[(workers + 1) * STRIPE];
    }

    static int bucket(long nanos) {
        if (nanos <= 1) {
            return 0;
        }
        int k = 64 - Long.numberOfLeadingZeros(nanos - 1);
        return Math.min(k, BUCKETS - 1);
    }

    /** Records {@code count} packets that each took {@code nanos}; owning worker only. */
    void record(int worker, long nanos, int count) {
        int base = worker * STRIPE;
        Counters.add(values, base + bucket(nanos), count);
        Counters.add(values, base + SUM, nanos * count);
    }

    /** Upper bound of bucket k in seconds. */
    static double upperBoundSeconds(int k) {
        return k == BUCKETS - 1 ? Double.POSITIVE_INFINITY : (1L << k) / 1e9;
    }

    /** Counts per bucket (not cumulative), summed over workers. */
    long[] counts() {
        long[] out = new long[BUCKETS];
        for (int w = 0; w < workers; w++) {
            for (int k = 0; k < BUCKETS; k++) {
                out[k] += Counters.get(values, w * STRIPE + k);
            }
        }
        return out;
    }

    double sumSeconds() {
        long total = 0;
        for (int w = 0; w < workers; w++) {
            total += Counters.get(values, w * STRIPE + SUM);
        }
        return total / 1e9;
    }
}
