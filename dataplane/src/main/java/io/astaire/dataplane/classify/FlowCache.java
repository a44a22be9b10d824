package io.astaire.dataplane.classify;

import io.astaire.wire.FlowKey;

/**
 * A bounded cache from a flow's 5-tuple to a classification result, so the rules are scanned
 * once per flow, not per packet. Four-way set associative over flat primitive arrays: a lookup
 * hashes the key, compares at most four slots field by field and allocates nothing; an insert
 * overwrites the set's next victim in turn, so the cache never grows past its capacity and old
 * flows age out. {@link #clear()} is O(1) (a generation bump), used when the rules change.
 * One per worker thread; not thread-safe.
 */
public final class FlowCache {
    /** Returned by {@link #get} when the flow is not cached. */
    public static final int ABSENT = Integer.MIN_VALUE;
    private static final int WAYS = 4;

    private final int setMask;
    private final int[] generation;
    private final int[] meta;   // family << 8 | protocol
    private final int[] ports;  // sourcePort << 16 | destinationPort
    private final long[] srcHigh, srcLow, dstHigh, dstLow;
    private final int[] value;
    private final byte[] victim;
    private int currentGeneration = 1;

    /** A cache of at least {@code capacity} entries (rounded up to a power of two, at least 4). */
    public FlowCache(int capacity) {
        int sets = Integer.highestOneBit(Math.max(1, (capacity + WAYS - 1) / WAYS));
        if (sets * WAYS < capacity) {
            sets <<= 1;
        }
        setMask = sets - 1;
        int slots = sets * WAYS;
        generation = new int[slots];
        meta = new int[slots];
        ports = new int[slots];
        srcHigh = new long[slots];
        srcLow = new long[slots];
        dstHigh = new long[slots];
        dstLow = new long[slots];
        value = new int[slots];
        victim = new byte[sets];
    }

    /** The number of entries this cache holds at most. */
    public int capacity() {
        return (setMask + 1) * WAYS;
    }

    /** The cached result for {@code flow}, or {@link #ABSENT}. */
    public int get(FlowKey flow) {
        int base = (flow.hashCode() & setMask) * WAYS;
        int m = flow.family() << 8 | flow.protocol();
        int p = flow.sourcePort() << 16 | flow.destinationPort();
        for (int slot = base; slot < base + WAYS; slot++) {
            if (generation[slot] == currentGeneration && meta[slot] == m && ports[slot] == p
                    && srcLow[slot] == flow.sourceLow() && dstLow[slot] == flow.destinationLow()
                    && srcHigh[slot] == flow.sourceHigh() && dstHigh[slot] == flow.destinationHigh()) {
                return value[slot];
            }
        }
        return ABSENT;
    }

    /** Caches {@code result} for {@code flow}, evicting the set's oldest insert when it is full. */
    public void put(FlowKey flow, int result) {
        int set = flow.hashCode() & setMask;
        int base = set * WAYS;
        int slot = -1;
        for (int s = base; s < base + WAYS; s++) {
            if (generation[s] != currentGeneration) {
                slot = s;
                break;
            }
        }
        if (slot < 0) {
            slot = base + victim[set];
            victim[set] = (byte) ((victim[set] + 1) & (WAYS - 1));
        }
        generation[slot] = currentGeneration;
        meta[slot] = flow.family() << 8 | flow.protocol();
        ports[slot] = flow.sourcePort() << 16 | flow.destinationPort();
        srcHigh[slot] = flow.sourceHigh();
        srcLow[slot] = flow.sourceLow();
        dstHigh[slot] = flow.destinationHigh();
        dstLow[slot] = flow.destinationLow();
        value[slot] = result;
    }

    /** Forgets every entry. */
    public void clear() {
        currentGeneration++;
        if (currentGeneration == 0) { // wrapped: stale slots could look current again
            java.util.Arrays.fill(generation, 0);
            currentGeneration = 1;
        }
    }
}
