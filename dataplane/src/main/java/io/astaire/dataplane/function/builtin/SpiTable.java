package io.astaire.dataplane.function.builtin;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * A copy-on-write map from SPI to a value: reads are a binary search over an immutable snapshot
 * (no boxing, no lock); a new SPI, which happens once per chain, swaps in a larger snapshot by CAS.
 */
final class SpiTable<V> {

    private record Snapshot(int[] keys, Object[] values) {}

    private final AtomicReference<Snapshot> snapshot = new AtomicReference<>(new Snapshot(new int[0], new Object[0]));
    private final int capacity;

    /** @param capacity the most SPIs held; {@link #get} returns null for others once it is reached */
    SpiTable(int capacity) {
        this.capacity = capacity;
    }

    @SuppressWarnings("unchecked")
    V find(int spi) {
        Snapshot s = snapshot.get();
        int i = Arrays.binarySearch(s.keys, spi);
        return i >= 0 ? (V) s.values[i] : null;
    }

    /** The value of {@code spi}, created with {@code factory} on first use; null when the table is full. */
    @SuppressWarnings("unchecked")
    V get(int spi, IntFunction<V> factory) {
        Snapshot s = snapshot.get();
        int i = Arrays.binarySearch(s.keys, spi);
        return i >= 0 ? (V) s.values[i] : insert(spi, factory);
    }

    @SuppressWarnings("unchecked")
    private V insert(int spi, IntFunction<V> factory) {
        V created = null;
        while (true) {
            Snapshot s = snapshot.get();
            int i = Arrays.binarySearch(s.keys, spi);
            if (i >= 0) {
                return (V) s.values[i];
            }
            if (s.keys.length >= capacity) {
                return null;
            }
            if (created == null) {
                created = factory.apply(spi);
            }
            int at = -i - 1;
            int[] keys = new int[s.keys.length + 1];
            Object[] values = new Object[keys.length];
            System.arraycopy(s.keys, 0, keys, 0, at);
            System.arraycopy(s.values, 0, values, 0, at);
            keys[at] = spi;
            values[at] = created;
            System.arraycopy(s.keys, at, keys, at + 1, s.keys.length - at);
            System.arraycopy(s.values, at, values, at + 1, s.values.length - at);
            if (snapshot.compareAndSet(s, new Snapshot(keys, values))) {
                return created;
            }
        }
    }

    int size() {
        return snapshot.get().keys.length;
    }

    /** Calls {@code action} for every entry of the current snapshot. */
    @SuppressWarnings("unchecked")
    void forEach(java.util.function.ObjIntConsumer<V> action) {
        Snapshot s = snapshot.get();
        for (int i = 0; i < s.keys.length; i++) {
            action.accept((V) s.values[i], s.keys[i]);
        }
    }
}
