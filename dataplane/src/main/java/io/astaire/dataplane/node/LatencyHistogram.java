package io.astaire.dataplane.node;

import io.astaire.dataplane.counters.CounterLayout;
import io.astaire.dataplane.counters.StripedCounters;

/**
 * Time packets spend in the node (from the return of the receive call that brought them to
 * the return of the send call that forwarded them), as a histogram with power-of-two nanosecond
 * buckets, a stripe of the shared counters model per worker: recording is two stores, no
 * allocation. Rendered as a Prometheus histogram by {@code NodeMetrics}, not from descriptors.
 */
final class LatencyHistogram {

    /** Bucket k counts latencies in (2^(k-1), 2^k] ns; 2^30 ns is about a second; the last bucket is +Inf. */
    static final int BUCKETS = 32;
    private static final int SUM = BUCKETS;
    private static final CounterLayout LAYOUT;

    static {
        CounterLayout.Builder b = CounterLayout.builder();
        for (int k = 0; k <= SUM; k++) {
            b.hidden("latency_" + k);
        }
        LAYOUT = b.build();
    }

    private final StripedCounters values;

    LatencyHistogram(int workers) {
        this.values = new StripedCounters(LAYOUT, workers);
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
        var stripe = values.stripe(worker);
        stripe.add(bucket(nanos), count);
        stripe.add(SUM, nanos * count);
    }

    /** Upper bound of bucket k in seconds. */
    static double upperBoundSeconds(int k) {
        return k == BUCKETS - 1 ? Double.POSITIVE_INFINITY : (1L << k) / 1e9;
    }

    /** Counts per bucket (not cumulative), summed over workers. */
    long[] counts() {
        long[] out = new long[BUCKETS];
        for (int k = 0; k < BUCKETS; k++) {
            out[k] = values.sum(k);
        }
        return out;
    }

    /** Packets recorded, over every bucket and worker. */
    long count() {
        long n = 0;
        for (int k = 0; k < BUCKETS; k++) {
            n += values.sum(k);
        }
        return n;
    }

    long sumNanos() {
        return values.sum(SUM);
    }

    double sumSeconds() {
        return values.sum(SUM) / 1e9;
    }
}
