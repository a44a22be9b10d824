package io.astaire.dataplane.edge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Packet counts per SPI for one writer thread: open addressing over an {@code int[]} of SPIs and
 * a {@code long[]} of counts, sized once, so counting allocates nothing. SPIs beyond the capacity
 * (more paths than any topology here has) are counted under {@link #OVERFLOW}. A metrics thread
 * reads with acquire semantics while the owner writes with release.
 */
public final class SpiCounts {
    /** The key under which SPIs that did not fit are counted. */
    public static final int OVERFLOW = -1;
    private static final int EMPTY = -2;
    private static final VarHandle KEYS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

    private final int[] keys;
    private final long[] counts;
    private final int mask;
    private int used;
    private long overflow;
    private static final VarHandle OVERFLOW_COUNT;

    static {
        try {
            OVERFLOW_COUNT = MethodHandles.lookup().findVarHandle(SpiCounts.class, "overflow", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public SpiCounts(int capacity) {
        int size = Integer.highestOneBit(Math.max(4, capacity) * 2 - 1) * 2;
        keys = new int[size];
        counts = new long[size];
        java.util.Arrays.fill(keys, EMPTY);
        mask = size - 1;
    }

    /** Adds one packet to {@code spi}'s count. */
    public void increment(int spi) {
        add(spi, 1);
    }

    /** Adds {@code packets} to {@code spi}'s count. */
    public void add(int spi, long packets) {
        int slot = slot(spi);
        if (slot < 0) {
            OVERFLOW_COUNT.setRelease(this, overflow + packets);
            return;
        }
        COUNTS.setRelease(counts, slot, counts[slot] + packets);
    }

    private int slot(int spi) {
        int i = (spi * 0x9E3779B1) >>> 16 & mask;
        for (int probes = 0; probes <= mask; probes++) {
            int k = keys[i];
            if (k == spi) {
                return i;
            }
            if (k == EMPTY) {
                if (used * 2 >= keys.length) {
                    break; // keep probes short: the rest go to OVERFLOW
                }
                used++;
                KEYS.setRelease(keys, i, spi);
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Calls {@code visitor} with every SPI seen and its count (from any thread). */
    public void forEach(SpiVisitor visitor) {
        for (int i = 0; i < keys.length; i++) {
            int k = (int) KEYS.getAcquire(keys, i);
            if (k != EMPTY) {
                visitor.visit(k, (long) COUNTS.getAcquire(counts, i));
            }
        }
        long o = (long) OVERFLOW_COUNT.getAcquire(this);
        if (o > 0) {
            visitor.visit(OVERFLOW, o);
        }
    }

    /** The count of {@code spi} (0 if never seen), from any thread. */
    public long get(int spi) {
        long[] total = {0};
        forEach((k, c) -> {
            if (k == spi) {
                total[0] += c;
            }
        });
        return total[0];
    }

    /** Receives (SPI, count) pairs. */
    @FunctionalInterface
    public interface SpiVisitor {
        void visit(int spi, long count);
    }
}
