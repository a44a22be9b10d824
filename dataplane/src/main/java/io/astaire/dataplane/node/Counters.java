package io.astaire.dataplane.node;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Single-writer counters: each worker owns a stripe of a {@code long[]} (padded so two workers
 * never share a cache line), increments it with a plain read and a release store (no atomic
 * read-modify-write, no lock), and a scrape sums the stripes with acquire loads.
 */
final class Counters {

    /** Longs per worker stripe: 128 bytes, two cache lines, so neighbours never false-share. */
    static final int STRIDE = 16;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private Counters() {}

    static long[] striped(int workers, int perWorker) {
        if (perWorker > STRIDE) {
            throw new IllegalArgumentException("at most " + STRIDE + " counters per stripe");
        }
        return new long[(workers + 1) * STRIDE];
    }

    /** Sum of counter {@code k} over stripes of {@code stride} longs. */
    static long sum(long[] counters, int k, int stride) {
        long total = 0;
        for (int i = k; i < counters.length; i += stride) {
            total += get(counters, i);
        }
        return total;
    }

    /** Adds on the owning worker's thread only. */
    static void add(long[] counters, int index, long delta) {
        LONGS.setRelease(counters, index, counters[index] + delta);
    }

    static long get(long[] counters, int index) {
        return (long) LONGS.getAcquire(counters, index);
    }

    /** The sum of counter {@code k} over every worker stripe. */
    static long sum(long[] counters, int k) {
        long total = 0;
        for (int i = k; i < counters.length; i += STRIDE) {
            total += get(counters, i);
        }
        return total;
    }
}
