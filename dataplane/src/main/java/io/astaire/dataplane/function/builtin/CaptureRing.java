package io.astaire.dataplane.function.builtin;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A bounded multi-producer, single-consumer ring of preallocated packet slots (D. Vyukov's
 * bounded queue: one sequence number per slot). Workers copy packets in without locks or
 * allocation and never wait: when every slot is taken, {@link #offer} fails and the caller counts
 * the skip. One background thread drains the slots with {@link #poll}.
 */
final class CaptureRing {

    /** Receives a drained packet: its slot, holding min(originalLength, slot size) bytes from 0 (valid only during the call). */
    interface Reader {
        void read(ByteBuffer slot, int originalLength, long timestampMicros);
    }

    private final int mask;
    private final int slotSize;
    private final byte[][] data;
    private final ByteBuffer[] views;
    private final int[] originalLength;
    private final long[] timestamps;
    private final AtomicLongArray sequence;
    private final AtomicLong tail = new AtomicLong();
    private long head; // consumer only

    /** @param slots a power of two; @param slotSize bytes kept of each packet (the snap length) */
    CaptureRing(int slots, int slotSize) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two: " + slots);
        }
        mask = slots - 1;
        this.slotSize = slotSize;
        data = new byte[slots][slotSize];
        views = new ByteBuffer[slots];
        for (int i = 0; i < slots; i++) {
            views[i] = ByteBuffer.wrap(data[i]);
        }
        originalLength = new int[slots];
        timestamps = new long[slots];
        sequence = new AtomicLongArray(slots);
        for (int i = 0; i < slots; i++) {
            sequence.set(i, i);
        }
    }

    /** Copies {@code length} bytes at {@code offset} into a free slot; false when the ring is full. */
    boolean offer(ByteBuffer buf, int offset, int length, long timestampMicros) {
        long pos = tail.get();
        int index;
        while (true) {
            index = (int) (pos & mask);
            long seq = sequence.getAcquire(index);
            long lag = seq - pos;
            if (lag == 0) {
                if (tail.compareAndSet(pos, pos + 1)) {
                    break;
                }
                pos = tail.get();
            } else if (lag < 0) {
                return false; // the slot still holds a packet from one lap ago: full
            } else {
                pos = tail.get(); // another producer took this position
            }
        }
        buf.get(offset, data[index], 0, Math.min(length, slotSize));
        originalLength[index] = length;
        timestamps[index] = timestampMicros;
        sequence.setRelease(index, pos + 1); // publishes the slot to the consumer
        return true;
    }

    /** Hands the oldest published packet to {@code reader} and frees its slot; false when none is ready. */
    boolean poll(Reader reader) {
        int index = (int) (head & mask);
        if (sequence.getAcquire(index) != head + 1) {
            return false;
        }
        reader.read(views[index], originalLength[index], timestamps[index]);
        sequence.setRelease(index, head + mask + 1); // free for the producer one lap ahead
        head++;
        return true;
    }
}
