package io.astaire.dataplane.classify;

import io.astaire.wire.FlowKey;

/**
 * A bounded cache from a flow's 5-tuple to the rule that classified it, so the rules are looked up
 * once per flow, not per packet. Four-way set associative in one flat {@code long[]}: each entry is
 * a run of 8 longs (64 bytes, a cache line's worth: the four address words, protocol and ports,
 * generation and value), a set's four entries side by side. A lookup hashes the key and compares
 * at most four entries, reading the protocol/ports and generation word first; a miss (every packet
 * of a flood of new flows) costs the set's four adjacent lines, an insert writes one entry's line,
 * and neither allocates. An insert takes a stale entry of the set, or else the set's next victim
 * in turn (kept in the set's first entry), so the cache never grows past its capacity and old
 * flows age out. {@link #clear()} is O(1) (a generation bump), used when the rules change.
 * One per worker thread; not thread-safe.
 */
public final class FlowCache {
    /** Returned by {@link #get} when the flow is not cached. */
    public static final int ABSENT = Integer.MIN_VALUE;
    private static final int WAYS = 4;
    // one entry: the flow's address words, its key word, generation and value, the set's victim (first entry only)
    private static final int SRC_HIGH = 0, SRC_LOW = 1, DST_HIGH = 2, DST_LOW = 3, KEY = 4, STATE = 5, VICTIM = 6;
    private static final int ENTRY = 8;

    private final int setMask;
    private final long[] entries;
    private int currentGeneration = 1;

    /** A cache of at least {@code capacity} entries (rounded up to a power of two, at least 4). */
    public FlowCache(int capacity) {
        int sets = Integer.highestOneBit(Math.max(1, (capacity + WAYS - 1) / WAYS));
        if (sets * WAYS < capacity) {
            sets <<= 1;
        }
        setMask = sets - 1;
        entries = new long[sets * WAYS * ENTRY];
    }

    /** The number of entries this cache holds at most. */
    public int capacity() {
        return (setMask + 1) * WAYS;
    }

    /** Bytes the cache holds. */
    public long memoryBytes() {
        return 8L * entries.length;
    }

    /** The cached result for {@code flow}, or {@link #ABSENT}. */
    public int get(FlowKey flow) {
        long[] e = entries;
        int base = (flow.hashCode() & setMask) * (WAYS * ENTRY);
        long key = key(flow);
        long generation = (long) currentGeneration << 32;
        for (int at = base; at < base + WAYS * ENTRY; at += ENTRY) {
            long state = e[at + STATE];
            if ((state & 0xFFFF_FFFF_0000_0000L) == generation && e[at + KEY] == key
                    && e[at + SRC_LOW] == flow.sourceLow() && e[at + DST_LOW] == flow.destinationLow()
                    && e[at + SRC_HIGH] == flow.sourceHigh() && e[at + DST_HIGH] == flow.destinationHigh()) {
                return (int) state;
            }
        }
        return ABSENT;
    }

    /** Caches {@code result} for {@code flow}, evicting the set's oldest insert when it is full. */
    public void put(FlowKey flow, int result) {
        long[] e = entries;
        int base = (flow.hashCode() & setMask) * (WAYS * ENTRY);
        int at = -1;
        for (int s = base; s < base + WAYS * ENTRY; s += ENTRY) {
            if ((int) (e[s + STATE] >>> 32) != currentGeneration) {
                at = s;
                break;
            }
        }
        if (at < 0) {
            int victim = (int) e[base + VICTIM];
            at = base + victim * ENTRY;
            e[base + VICTIM] = (victim + 1) & (WAYS - 1);
        }
        e[at + SRC_HIGH] = flow.sourceHigh();
        e[at + SRC_LOW] = flow.sourceLow();
        e[at + DST_HIGH] = flow.destinationHigh();
        e[at + DST_LOW] = flow.destinationLow();
        e[at + KEY] = key(flow);
        e[at + STATE] = (long) currentGeneration << 32 | (result & 0xFFFF_FFFFL);
    }

    /** Family, protocol and both ports in one word. */
    private static long key(FlowKey flow) {
        return (long) (flow.family() << 8 | flow.protocol()) << 32 | (flow.sourcePort() & 0xFFFFL) << 16 | flow.destinationPort() & 0xFFFFL;
    }

    /** Forgets every entry. */
    public void clear() {
        currentGeneration++;
        if (currentGeneration == 0) { // wrapped: stale entries could look current again
            for (int at = 0; at < entries.length; at += ENTRY) {
                entries[at + STATE] = 0;
            }
            currentGeneration = 1;
        }
    }
}
