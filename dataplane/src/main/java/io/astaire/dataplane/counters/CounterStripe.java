package io.astaire.dataplane.counters;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One writer thread's counters of a {@link CounterLayout}: a {@code long[]} of its own with a cache
 * line pair of padding on either side, so no two writers ever share a line (no false sharing).
 * The owner adds with a plain read and a release store (no atomic read-modify-write, no lock);
 * readers on other threads load with acquire.
 */
public final class CounterStripe {

    /** 128 bytes: two cache lines, as adjacent-line prefetch pairs them. */
    private static final int PAD = 16;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final CounterLayout layout;
    private final long[] values;

    CounterStripe(CounterLayout layout) {
        this.layout = layout;
        this.values = new long[PAD + layout.size() + PAD];
    }

    /** Adds {@code delta} to counter {@code id}; on the owning thread only. */
    public void add(int id, long delta) {
        int i = PAD + id;
        LONGS.setRelease(values, i, values[i] + delta);
    }

    public void increment(int id) {
        add(id, 1);
    }

    /** Counter {@code id}, from any thread. */
    public long get(int id) {
        return (long) LONGS.getAcquire(values, PAD + id);
    }

    public CounterLayout layout() {
        return layout;
    }
}
