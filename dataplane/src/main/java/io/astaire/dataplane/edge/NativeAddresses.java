package io.astaire.dataplane.edge;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The native addresses of a few direct buffers someone else owns (the coalescer's group
 * buffers), found by identity, so handing one to a system call builds no segment once each
 * buffer has been seen.
 */
final class NativeAddresses {
    private ByteBuffer[] buffers;
    private long[] addresses;
    private int size;

    NativeAddresses(int expected) {
        buffers = new ByteBuffer[Math.max(1, expected)];
        addresses = new long[buffers.length];
    }

    /** The address of {@code buffer}'s byte 0. */
    long of(ByteBuffer buffer) {
        for (int i = 0; i < size; i++) {
            if (buffers[i] == buffer) {
                return addresses[i];
            }
        }
        return learn(buffer);
    }

    private long learn(ByteBuffer buffer) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("only a direct buffer has a native address");
        }
        if (size == buffers.length) {
            buffers = Arrays.copyOf(buffers, size * 2);
            addresses = Arrays.copyOf(addresses, size * 2);
        }
        // From byte 0 whatever the buffer's position: callers add their own offsets.
        long address = MemorySegment.ofBuffer(buffer.duplicate().clear()).address();
        buffers[size] = buffer;
        addresses[size] = address;
        size++;
        return address;
    }
}
