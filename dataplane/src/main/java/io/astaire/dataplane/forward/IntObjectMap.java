package io.astaire.dataplane.forward;

import java.util.Arrays;

/**
 * An open-addressing map from int keys to objects: no boxing on lookup, so the packet path can
 * look up a route with no allocation. Built once, then only read (safe to publish through a
 * final or volatile field).
 */
public final class IntObjectMap<V> {


    private final int[] keys;
    private final Object[] values;
    private final boolean[] used;
    private final int mask;
    private int size;

    public IntObjectMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new int[capacity];
        values = new Object[capacity];
        used = new boolean[capacity];
        mask = capacity - 1;
    }

    private static int spread(int key) {
        int h = key * 0x9E3779B1;
        return h ^ (h >>> 15);
    }

    /** Adds or replaces; only while building. */
    public void put(int key, V value) {
        if ((size + 1) * 2 > keys.length) {
            throw new IllegalStateException("IntObjectMap sized for fewer entries");
        }
        int i = spread(key) & mask;
        while (used[i]) {
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        used[i] = true;
        keys[i] = key;
        values[i] = value;
        size++;
    }

    @SuppressWarnings("unchecked")
    public V get(int key) {
        int i = spread(key) & mask;
        while (used[i]) {
            if (keys[i] == key) {
                return (V) values[i];
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    public int size() {
        return size;
    }

    @Override
    public String toString() {
        return "IntObjectMap" + Arrays.toString(Arrays.copyOf(keys, 0)) + "(" + size + ")";
    }
}
