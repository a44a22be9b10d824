package io.astaire.dataplane.transport;

import static io.astaire.dataplane.sys.Libc.AF_INET;
import static io.astaire.dataplane.sys.Libc.AF_INET6;
import static io.astaire.dataplane.sys.Libc.EAGAIN;
import static io.astaire.dataplane.sys.Libc.ECONNREFUSED;
import static io.astaire.dataplane.sys.Libc.EHOSTDOWN;
import static io.astaire.dataplane.sys.Libc.EHOSTUNREACH;
import static io.astaire.dataplane.sys.Libc.EINTR;
import static io.astaire.dataplane.sys.Libc.ENETUNREACH;
import static io.astaire.dataplane.sys.Libc.ENOBUFS;
import static io.astaire.dataplane.sys.Libc.SOCK_DGRAM;
import static io.astaire.dataplane.sys.Libc.errno;
import static io.astaire.dataplane.sys.Libc.newCallState;
import static io.astaire.dataplane.sys.Libc.strerror;
import static io.astaire.dataplane.transport.LinuxSockets.*;

import io.astaire.dataplane.sys.Libc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * UDP over libc through the FFM API: {@code recvmmsg} with {@code MSG_WAITFORONE} and
 * {@code SO_RCVTIMEO} (blocks for the first datagram only, bounded so a worker can stop),
 * {@code sendmmsg} over the {@link PacketBatch}'s preallocated {@code mmsghdr} array: one system
 * call per batch each way and no allocation (those two calls skip errno capture, which allocates;
 * only after a -1 is the call repeated capturing errno). {@code IP_RECVERR} is on, so ICMP errors for the
 * datagrams we send are queued on the socket and {@link #drainErrors} tells which destination
 * refused (a replica that went away).
 *
 * <p>Closing from another thread is safe: the descriptor is shut down at once (waking a blocked
 * receiver) but only released when no call is using it, so a descriptor number is never reused
 * under a running call.
 */
public final class LinuxDatagramTransport implements DatagramTransport {

    private static final VarHandle STATE;
    private static final int CLOSED = 1 << 30;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(LinuxDatagramTransport.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int fd;
    private final int family;
    private final InetSocketAddress localAddress;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment receiveState = newCallState(arena);
    private final MemorySegment sendState = newCallState(arena);
    private final MemorySegment errorState = newCallState(arena);
    private final MemorySegment errorMsg = arena.allocate(64, 8);
    private final MemorySegment errorName = arena.allocate(PacketBatch.NAME_SIZE, 8);
    private final MemorySegment errorIov = arena.allocate(PacketBatch.IOVEC_SIZE, 8);
    private final MemorySegment errorPayload = arena.allocate(64, 8);
    private final MemorySegment errorControl = arena.allocate(512, 8);
    @SuppressWarnings("unused") // via STATE
    private volatile int state;
    private volatile boolean fdReleased;
    /** Set by the receiving/sending thread when the kernel reported a queued ICMP error. */
    private boolean errorsPending;

    private LinuxDatagramTransport(int fd, int family, InetSocketAddress localAddress) {
        this.fd = fd;
        this.family = family;
        this.localAddress = localAddress;
        errorIov.set(ValueLayout.ADDRESS, 0, errorPayload);
        errorIov.set(ValueLayout.JAVA_LONG, 8, errorPayload.byteSize());
    }

    /** Whether this platform can run this transport (Linux, 64-bit, libc reachable through FFM). */
    public static boolean isSupported() {
        if (!LinuxSockets.platformSupported()) {
            return false;
        }
        try {
            return LinuxSockets.RECVMMSG != null; // links libc (through Libc) on first use
        } catch (Throwable t) {
            return false;
        }
    }

    /** Opens, configures and binds a socket. */
    public static LinuxDatagramTransport open(TransportOptions options) {
        InetSocketAddress bind = options.bind();
        int family = bind.getAddress() instanceof Inet6Address ? AF_INET6 : AF_INET;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment cs = newCallState(tmp);
            int fd = Libc.socket(cs, family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw failure("socket", errno(cs));
            }
            try {
                if (options.reusePort()) {
                    setInt(tmp, cs, fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
                }
                if (options.receiveBufferBytes() > 0) {
                    setInt(tmp, cs, fd, SOL_SOCKET, SO_RCVBUF, options.receiveBufferBytes(), "SO_RCVBUF");
                }
                if (options.sendBufferBytes() > 0) {
                    setInt(tmp, cs, fd, SOL_SOCKET, SO_SNDBUF, options.sendBufferBytes(), "SO_SNDBUF");
                }
                long micros = Math.max(1000, options.receiveTimeout().toNanos() / 1000);
                MemorySegment tv = tmp.allocate(16, 8);
                tv.set(ValueLayout.JAVA_LONG, 0, micros / 1_000_000);
                tv.set(ValueLayout.JAVA_LONG, 8, micros % 1_000_000);
                check((int) SETSOCKOPT.invokeExact(cs, fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16), cs, "setsockopt(SO_RCVTIMEO)");
                if (family == AF_INET6) {
                    setInt(tmp, cs, fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
                    setInt(tmp, cs, fd, IPPROTO_IPV6, IPV6_RECVERR, 1, "IPV6_RECVERR");
                } else {
                    setInt(tmp, cs, fd, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR");
                }
                Endpoint local = Endpoint.of(bind);
                MemorySegment sa = family == AF_INET6 ? local.sockaddrIn6() : local.sockaddrIn();
                int r = (int) BIND.invokeExact(cs, fd, sa, (int) sa.byteSize());
                if (r < 0) {
                    throw failure("bind " + local, errno(cs));
                }
                MemorySegment name = tmp.allocate(PacketBatch.NAME_SIZE, 8);
                MemorySegment len = tmp.allocate(ValueLayout.JAVA_INT);
                len.set(ValueLayout.JAVA_INT, 0, (int) PacketBatch.NAME_SIZE);
                check((int) GETSOCKNAME.invokeExact(cs, fd, name, len), cs, "getsockname");
                InetSocketAddress bound = PacketBatch.decodeName(name);
                if (family == AF_INET6 && bind.getAddress() instanceof Inet6Address && bound != null
                        && bound.getAddress() instanceof Inet4Address) {
                    bound = new InetSocketAddress(bind.getAddress(), bound.getPort());
                }
                return new LinuxDatagramTransport(fd, family, bound);
            } catch (RuntimeException | Error e) {
                Libc.close(fd);
                throw e;
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void setInt(Arena arena, MemorySegment cs, int fd, int level, int option, int value, String what) throws Throwable {
        MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
        v.set(ValueLayout.JAVA_INT, 0, value);
        check((int) SETSOCKOPT.invokeExact(cs, fd, level, option, v, 4), cs, "setsockopt(" + what + ")");
    }

    private static void check(int result, MemorySegment cs, String what) {
        if (result < 0) {
            throw failure(what, errno(cs));
        }
    }

    private static UncheckedIOException failure(String what, int errno) {
        return new UncheckedIOException(new IOException(what + " failed: " + strerror(errno) + " (errno " + errno + ")"));
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public int receive(PacketBatch batch) {
        if (!acquire()) {
            return -1;
        }
        try {
            int capacity = batch.capacity();
            MemorySegment msgs = batch.msgs;
            MemorySegment iovecs = batch.iovecs;
            long namesBase = batch.names.address();
            int room = batch.maxDatagram();
            int headroom = batch.headroom();
            for (int i = 0; i < capacity; i++) {
                long m = i * PacketBatch.MMSGHDR_SIZE;
                long v = i * PacketBatch.IOVEC_SIZE;
                iovecs.set(ValueLayout.JAVA_LONG, v, batch.slotAddress(i) + headroom);
                iovecs.set(ValueLayout.JAVA_LONG, v + 8, room);
                msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_NAME, namesBase + i * PacketBatch.NAME_SIZE);
                msgs.set(ValueLayout.JAVA_INT, m + PacketBatch.MSG_NAMELEN, (int) PacketBatch.NAME_SIZE);
                msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_CONTROLLEN, 0);
                msgs.set(ValueLayout.JAVA_INT, m + PacketBatch.MSG_FLAGS, 0);
            }
            boolean capture = false;
            while (true) {
                // Steady state without errno capture: a capturing call allocates a slice of the capture segment.
                int n = capture
                        ? (int) RECVMMSG.invokeExact(receiveState, fd, msgs.address(), capacity, MSG_WAITFORONE | MSG_DONTWAIT, 0L)
                        : (int) RECVMMSG_NO_ERRNO.invokeExact(fd, msgs.address(), capacity, MSG_WAITFORONE, 0L);
                if ((state & CLOSED) != 0) {
                    // shut down: a blocked call returns an empty "datagram" or EAGAIN; either way we are done
                    batch.size(0);
                    return -1;
                }
                if (n > 0) {
                    for (int i = 0; i < n; i++) {
                        long m = i * PacketBatch.MMSGHDR_SIZE;
                        int len = msgs.get(ValueLayout.JAVA_INT, m + PacketBatch.MSG_LEN);
                        boolean truncated = (msgs.get(ValueLayout.JAVA_INT, m + PacketBatch.MSG_FLAGS) & MSG_TRUNC) != 0;
                        batch.received(i, Math.min(len, room), truncated, null);
                    }
                    batch.size(n);
                    return n;
                }
                if (n == 0) {
                    batch.size(0);
                    return 0;
                }
                if (!capture) {
                    // -1 with errno unknown: mostly the receive timeout (EAGAIN) or a signal, once per
                    // idle timeout at most. It may also have been a queued ICMP error, which that call
                    // consumed (sk_err): the error queue still holds it, so have drainErrors look.
                    // Ask again at once (MSG_DONTWAIT), capturing errno: a lasting failure repeats
                    // with its errno, a timeout answers EAGAIN, a datagram that arrived meanwhile is taken.
                    errorsPending = true;
                    capture = true;
                    continue;
                }
                int errno = errno(receiveState);
                switch (errno) {
                    case EAGAIN -> {
                        batch.size(0);
                        return 0;
                    }
                    case EINTR -> capture = false; // wait again, as before
                    case ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN -> {
                        // A queued ICMP error surfaced here; the datagrams are still waiting.
                        errorsPending = true;
                        batch.size(0);
                        return 0;
                    }
                    default -> throw failure("recvmmsg", errno);
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            release();
        }
    }

    @Override
    public int send(PacketBatch batch) {
        int size = batch.size();
        if (size == 0) {
            return 0;
        }
        if (!acquire()) {
            return 0;
        }
        try {
            MemorySegment msgs = batch.msgs;
            MemorySegment iovecs = batch.iovecs;
            boolean v6 = family == AF_INET6;
            int count = 0;
            for (int i = 0; i < size; i++) {
                Endpoint to = batch.destination(i);
                if (to == null) {
                    continue;
                }
                MemorySegment sa = v6 ? to.sockaddrIn6() : to.sockaddrIn();
                if (sa == null) {
                    continue; // an IPv6 destination on an IPv4 socket: not sent, so counted as failed
                }
                long m = count * PacketBatch.MMSGHDR_SIZE;
                long v = count * PacketBatch.IOVEC_SIZE;
                iovecs.set(ValueLayout.JAVA_LONG, v, batch.slotAddress(i) + batch.offset(i));
                iovecs.set(ValueLayout.JAVA_LONG, v + 8, batch.length(i));
                msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_NAME, sa.address());
                msgs.set(ValueLayout.JAVA_INT, m + PacketBatch.MSG_NAMELEN, (int) sa.byteSize());
                msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_CONTROLLEN, 0);
                msgs.set(ValueLayout.JAVA_INT, m + PacketBatch.MSG_FLAGS, 0);
                count++;
            }
            long base = msgs.address();
            int done = 0;
            int failed = 0;
            int retries = 0;
            boolean capture = false;
            while (done < count) {
                long at = base + done * PacketBatch.MMSGHDR_SIZE;
                // Steady state without errno capture: a capturing call allocates a slice of the capture segment.
                int r = capture
                        ? (int) SENDMMSG.invokeExact(sendState, fd, at, count - done, 0)
                        : (int) SENDMMSG_NO_ERRNO.invokeExact(fd, at, count - done, 0);
                if (r > 0) {
                    done += r;
                    retries = 0;
                    capture = false;
                    continue;
                }
                if ((state & CLOSED) != 0) {
                    break;
                }
                if (!capture) {
                    // -1 with errno unknown (rare): a queued ICMP error (consumed by that call, still in
                    // the error queue, so have drainErrors look), a full buffer, or a lasting failure.
                    // Repeat the call capturing errno and decide as always from what it says; stay
                    // capturing until a call succeeds so the retry counting below is unchanged.
                    errorsPending = true;
                    capture = true;
                    continue;
                }
                int errno = errno(sendState);
                if (errno == EINTR) {
                    continue;
                }
                if ((errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH || errno == EHOSTDOWN) && retries == 0) {
                    // Most likely an earlier datagram's ICMP error reported now; this one was not sent yet.
                    errorsPending = true;
                    retries++;
                    continue;
                }
                if ((errno == EAGAIN || errno == ENOBUFS) && retries < 3) {
                    retries++;
                    Thread.onSpinWait();
                    continue;
                }
                failed++;
                done++;
                retries = 0;
            }
            return done - failed;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            release();
        }
    }

    @Override
    public int drainErrors(UnreachableListener listener) {
        if (!errorsPending) {
            return 0;
        }
        errorsPending = false;
        return drainErrorQueue(listener);
    }

    /** Reads the socket's error queue whether or not an error was seen; for tests and idle moments. */
    int drainErrorQueue(UnreachableListener listener) {
        if (!acquire()) {
            return 0;
        }
        int reported = 0;
        try {
            for (int guard = 0; guard < 1024; guard++) {
                errorMsg.fill((byte) 0);
                errorMsg.set(ValueLayout.ADDRESS, PacketBatch.MSG_NAME, errorName);
                errorMsg.set(ValueLayout.JAVA_INT, PacketBatch.MSG_NAMELEN, (int) PacketBatch.NAME_SIZE);
                errorMsg.set(ValueLayout.ADDRESS, PacketBatch.MSG_IOV, errorIov);
                errorMsg.set(ValueLayout.JAVA_LONG, PacketBatch.MSG_IOVLEN, 1);
                errorMsg.set(ValueLayout.ADDRESS, PacketBatch.MSG_CONTROL, errorControl);
                errorMsg.set(ValueLayout.JAVA_LONG, PacketBatch.MSG_CONTROLLEN, errorControl.byteSize());
                long r = (long) RECVMSG.invokeExact(errorState, fd, errorMsg, MSG_ERRQUEUE | MSG_DONTWAIT);
                if (r < 0) {
                    int errno = errno(errorState);
                    if (errno == EINTR) {
                        continue;
                    }
                    break; // EAGAIN: queue empty
                }
                int ee = extendedErrno(errorControl, errorMsg.get(ValueLayout.JAVA_LONG, PacketBatch.MSG_CONTROLLEN));
                InetSocketAddress destination = PacketBatch.decodeName(errorName);
                if (ee != 0 && destination != null) {
                    listener.unreachable(destination, ee);
                    reported++;
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            release();
        }
        return reported;
    }

    /** Finds {@code struct sock_extended_err} in the control messages and returns its ee_errno. */
    private static int extendedErrno(MemorySegment control, long length) {
        long off = 0;
        while (off + 16 <= length) {
            long cmsgLen = control.get(ValueLayout.JAVA_LONG, off);
            int level = control.get(ValueLayout.JAVA_INT, off + 8);
            int type = control.get(ValueLayout.JAVA_INT, off + 12);
            if (cmsgLen < 16) {
                break;
            }
            if ((level == IPPROTO_IP && type == IP_RECVERR) || (level == IPPROTO_IPV6 && type == IPV6_RECVERR)) {
                return control.get(ValueLayout.JAVA_INT, off + 16);
            }
            off += (cmsgLen + 7) & ~7L;
        }
        return 0;
    }

    @Override
    public boolean reportsUnreachable() {
        return true;
    }

    @Override
    public boolean isOpen() {
        return (state & CLOSED) == 0;
    }

    @Override
    public void close() {
        int before;
        do {
            before = state;
            if ((before & CLOSED) != 0) {
                return;
            }
        } while (!STATE.compareAndSet(this, before, before | CLOSED));
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment cs = newCallState(tmp);
            int ignored = (int) SHUTDOWN.invokeExact(cs, fd, SHUT_RDWR); // wakes a blocked recvmmsg
        } catch (Throwable t) {
            // closing anyway
        }
        if (before == 0) {
            releaseFd();
        }
    }

    private boolean acquire() {
        int s = (int) STATE.getAndAdd(this, 1);
        if ((s & CLOSED) != 0) {
            release();
            return false;
        }
        return true;
    }

    private void release() {
        int s = (int) STATE.getAndAdd(this, -1) - 1;
        if (s == CLOSED) {
            releaseFd();
        }
    }

    private synchronized void releaseFd() {
        if (fdReleased) {
            return;
        }
        fdReleased = true;
        try {
            Libc.close(fd);
        } catch (Throwable t) {
            // nothing more to do
        }
    }

    @Override
    public String toString() {
        return "recvmmsg/sendmmsg UDP " + localAddress;
    }
}
