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
 * <p>On a device with a virtio_net_hdr ({@link TunDevice#offloads()}), every read returns the
 * 10-byte header followed by the packet, and every write must start with one.
 *
 * <p>The descriptor is non-blocking: {@link #read} returns 0 when no packet is waiting, and a
 * worker parks in {@link #awaitReadable(int)} (poll) with a timeout, so it notices shutdown.
 *
 * <p>The steady state calls libc without errno capture (a capturing call allocates); only a call
 * that returned -1 is looked at again to learn its errno (see {@link #readFailed}, {@link #writeFailed}).
 */
public final class TunIo implements AutoCloseable {
    private static final int POLLFD_SIZE = 8;
    private static final int POLLFD_EVENTS = 4;
    private static final int POLLFD_REVENTS = 6;

    private final TunQueue queue;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment callState = Libc.newCallState(arena);
    private final MemorySegment pollFd = arena.allocate(POLLFD_SIZE, 8);
    private final long pollFdAddress = pollFd.address();

    TunIo(TunQueue queue) {
        this.queue = queue;
        pollFd.set(ValueLayout.JAVA_INT, 0, queue.fd());
    }

    /**
     * Reads one packet into {@code capacity} bytes at native {@code address}.
     *
     * @return the packet's length (with the virtio_net_hdr in front, on such a device); 0 when none is waiting; or a negative errno
     */
    public int read(long address, int capacity) {
        long n = TunLibc.readNoErrno(queue.fd(), address, capacity);
        return n >= 0 ? (int) n : readFailed(address, capacity);
    }

    /**
     * The read returned -1 and we do not know why. Nearly always nothing was waiting (EAGAIN): a
     * zero-timeout poll that reports nothing says so without allocating. Otherwise the descriptor has
     * a packet (arrived meanwhile: read it now) or an error, which a read capturing errno reports.
     */
    private int readFailed(long address, int capacity) {
        if (!readableNow()) {
            return 0;
        }
        long n = TunLibc.read(callState, queue.fd(), address, capacity);
        if (n >= 0) {
            return (int) n;
        }
        int errno = Libc.errno(callState);
        return errno == Libc.EAGAIN || errno == Libc.EINTR ? 0 : -errno;
    }

    private boolean readableNow() {
        return poll(0) != 0; // a failed poll (-1) is looked at by the capturing read
    }

    /** Reads one packet into {@code segment} at {@code offset}; see {@link #read(long, int)}. */
    public int read(MemorySegment segment, long offset) {
        return read(segment.address() + offset, (int) Math.min(Integer.MAX_VALUE, segment.byteSize() - offset));
    }

    /**
     * Writes one IP packet of {@code length} bytes from native {@code address} (on a device with a
     * virtio_net_hdr: the header, then the packet); the kernel then routes it as if it had arrived
     * on the device.
     *
     * @return {@code length} when written, or a negative errno (EINVAL: the kernel rejected the packet)
     */
    public int write(long address, int length) {
        long n = TunLibc.writeNoErrno(queue.fd(), address, length);
        return n >= 0 ? (int) n : writeFailed(address, length);
    }

    /** A write that returned -1 wrote nothing, so writing again capturing errno is safe and tells why. */
    private int writeFailed(long address, int length) {
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
        return poll(timeoutMillis) > 0;
    }

    private int poll(int timeoutMillis) {
        pollFd.set(ValueLayout.JAVA_SHORT, POLLFD_EVENTS, TunLibc.POLLIN);
        pollFd.set(ValueLayout.JAVA_SHORT, POLLFD_REVENTS, (short) 0);
        return TunLibc.pollNoErrno(pollFdAddress, 1, timeoutMillis);
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
