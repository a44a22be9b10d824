package io.astaire.dataplane.tun;

import io.astaire.dataplane.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One thread's handle on a {@link TunQueue}: reads and writes whole IP packets to and from
 * off-heap memory given by address, so a caller reading into a slot at an offset (to leave
 * headroom for encapsulation) or writing an inner packet from the middle of a receive buffer
 * allocates nothing. Not thread-safe: every thread makes its own with {@link TunQueue#newIo()}.
 *
 * <p>The descriptor is non-blocking: {@link #read} returns 0 when no packet is waiting, and a
 * worker parks in {@link #awaitReadable(int)} (poll) with a timeout, so it notices shutdown.
 */
public final class TunIo implements AutoCloseable {
    private final TunQueue queue;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment callState = Libc.newCallState(arena);
    private final MemorySegment pollFd = arena.allocate(8, 8);

    TunIo(TunQueue queue) {
        this.queue = queue;
        pollFd.set(ValueLayout.JAVA_INT, 0, queue.fd());
    }

    /**
     * Reads one packet into {@code capacity} bytes at native {@code address}.
     *
     * @return the packet's length; 0 when none is waiting; or a negative errno
     */
    public int read(long address, int capacity) {
        long n = TunLibc.read(callState, queue.fd(), address, capacity);
        if (n >= 0) {
            return (int) n;
        }
        int errno = Libc.errno(callState);
        return errno == Libc.EAGAIN || errno == Libc.EINTR ? 0 : -errno;
    }

    /** Reads one packet into {@code segment} at {@code offset}; see {@link #read(long, int)}. */
    public int read(MemorySegment segment, long offset) {
        return read(segment.address() + offset, (int) Math.min(Integer.MAX_VALUE, segment.byteSize() - offset));
    }

    /**
     * Writes one IP packet of {@code length} bytes from native {@code address}; the kernel then
     * routes it as if it had arrived on the device.
     *
     * @return {@code length} when written, or a negative errno (EINVAL: the kernel rejected the packet)
     */
    public int write(long address, int length) {
        long n = TunLibc.write(callState, queue.fd(), address, length);
        return n >= 0 ? (int) n : -Libc.errno(callState);
    }

    /** Writes {@code length} bytes of {@code segment} from {@code offset}; see {@link #write(long, int)}. */
    public int write(MemorySegment segment, long offset, int length) {
        if (offset < 0 || offset + length > segment.byteSize()) {
            throw new IndexOutOfBoundsException("offset " + offset + " + length " + length + " exceeds " + segment.byteSize());
        }
        return write(segment.address() + offset, length);
    }

    /**
     * Waits up to {@code timeoutMillis} for a packet to read.
     *
     * @return true when one is waiting (or the descriptor has an error to report on read)
     */
    public boolean awaitReadable(int timeoutMillis) {
        pollFd.set(ValueLayout.JAVA_SHORT, 4, TunLibc.POLLIN);
        pollFd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        int n = TunLibc.poll(callState, pollFd, 1, timeoutMillis);
        return n > 0;
    }

    /** The queue this handle reads and writes. */
    public TunQueue queue() {
        return queue;
    }

    @Override
    public void close() {
        arena.close();
    }
}
