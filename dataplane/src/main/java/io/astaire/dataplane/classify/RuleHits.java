package io.astaire.dataplane.classify;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Packets classified by each rule of one {@link RuleTable}, and those no rule matched: one stripe
 * of longs per worker, indexed by rule number, so counting is a plain add and a release store on
 * the worker's own cache lines (no atomic, no allocation). Made with the table and swapped with
 * it; a {@link RuleHitLedger} carries the counts of rules that stay over to the next table.
 */
public final class RuleHits {
    /** Longs between two stripes: two cache lines, so no two workers share one. */
    private static final int PAD = 16;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final RuleNames names;
    private final long generation;
    private final int stripes;
    private final int stride;
    private final long[] counts;

    /**
     * @param stripes one per worker that classifies with the table
     * @param generation larger than that of every table this one replaces
     */
    public RuleHits(RuleTable table, int stripes, long generation) {
        if (stripes < 1) {
            throw new IllegalArgumentException("stripes " + stripes + " < 1");
        }
        this.names = table.names();
        this.generation = generation;
        this.stripes = stripes;
        this.stride = table.size() + 1 + PAD; // slot 0: no rule matched
        this.counts = new long[PAD + stripes * stride];
    }

    /** Adds {@code packets} to rule {@code rule} (-1: no rule matched); on stripe {@code stripe}'s thread only. */
    public void add(int stripe, int rule, long packets) {
        int i = PAD + stripe * stride + rule + 1;
        LONGS.setRelease(counts, i, counts[i] + packets);
    }

    /** Packets rule {@code rule} (-1: no rule) classified, over every stripe; from any thread. */
    public long get(int rule) {
        long n = 0;
        for (int s = 0; s < stripes; s++) {
            n += (long) LONGS.getAcquire(counts, PAD + s * stride + rule + 1);
        }
        return n;
    }

    /** Whose counts these are (the table itself is not kept, so a replaced index can go). */
    public RuleNames names() {
        return names;
    }

    public long generation() {
        return generation;
    }

    /** Bytes of the counters: 8 per rule per worker, outside the classifier's memory bound. */
    public long memoryBytes() {
        return 8L * counts.length;
    }
}
