package io.astaire.cli.lab;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.astaire.dataplane.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.nio.ByteOrder;
import java.time.Duration;

/**
 * ICMP echo (what {@code ping} does) from this process, through a raw IPv4 ICMP socket bound
 * through the FFM API, so the demo needs no ping tool. A raw socket needs CAP_NET_RAW, which the
 * demo has (it runs as root). The socket belongs to the network namespace of the thread that
 * opens it: open it on a {@link LabNamespace} thread. Not thread-safe: one pinger per thread.
 */
public final class IcmpEcho implements AutoCloseable {
    private static final int SOCK_RAW = 3;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int IPPROTO_ICMP = 1;
    private static final int ECHO_REQUEST = 8;
    private static final int ECHO_REPLY = 0;
    private static final int PAYLOAD = 56; // ping's default: 64 bytes of ICMP
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_HOST = ValueLayout.JAVA_SHORT_UNALIGNED;

    private static final MethodHandle SENDTO = Libc.downcallCapturingErrno("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECV = Libc.downcallCapturingErrno("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment state = Libc.newCallState(arena);
    private final MemorySegment request = arena.allocate(8 + PAYLOAD);
    private final MemorySegment reply = arena.allocate(1500);
    private final MemorySegment target = arena.allocate(16);
    private final byte[] targetAddress;
    private final int id;
    private final int fd;

    /** Opens the socket for echoes to {@code to}, with {@code id} as the ICMP identifier (a pid, like ping). */
    public IcmpEcho(Inet4Address to, int id) {
        this.targetAddress = to.getAddress();
        this.id = id & 0xffff;
        target.set(SHORT_HOST, 0, (short) Libc.AF_INET); // sockaddr_in: family, port 0, address
        MemorySegment.copy(targetAddress, 0, target, JAVA_BYTE, 4, 4);
        fd = Libc.socket(state, Libc.AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
        if (fd < 0) {
            int errno = Libc.errno(state);
            arena.close();
            throw new LabException("cannot open a raw ICMP socket: " + Libc.strerror(errno)
                    + (errno == Libc.EPERM || errno == Libc.EACCES ? " (it needs CAP_NET_RAW: run as root)" : ""));
        }
    }

    /**
     * Sends echo request {@code seq} and waits up to {@code timeout} for its reply.
     *
     * @return the round-trip time, or null when no reply came in time
     */
    public Duration echo(int seq, Duration timeout) {
        request.fill((byte) 0);
        request.set(JAVA_BYTE, 0, (byte) ECHO_REQUEST);
        request.set(SHORT_BE, 4, (short) id);
        request.set(SHORT_BE, 6, (short) seq);
        for (int i = 0; i < PAYLOAD; i++) {
            request.set(JAVA_BYTE, 8 + i, (byte) i);
        }
        request.set(SHORT_BE, 2, (short) checksum(request, 8 + PAYLOAD));
        long sent = System.nanoTime();
        try {
            long n = (long) SENDTO.invokeExact(state, fd, request, request.byteSize(), 0, target, (int) target.byteSize());
            if (n < 0) {
                return null; // no route, unreachable: no reply
            }
            long deadline = sent + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                long got = (long) RECV.invokeExact(state, fd, reply, reply.byteSize(), 0);
                if (got < 0) {
                    Thread.sleep(2); // EAGAIN: nothing yet (a non-blocking socket, so close() never waits)
                    continue;
                }
                if (isOurReply(got, seq)) {
                    return Duration.ofNanos(System.nanoTime() - sent);
                }
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** A raw socket receives whole IPv4 packets: every ICMP message of the namespace; keep the reply to our request. */
    private boolean isOurReply(long length, int seq) {
        int ihl = (reply.get(JAVA_BYTE, 0) & 0x0f) * 4;
        if (length < ihl + 8) {
            return false;
        }
        for (int i = 0; i < 4; i++) {
            if (reply.get(JAVA_BYTE, 12 + i) != targetAddress[i]) {
                return false;
            }
        }
        return reply.get(JAVA_BYTE, ihl) == ECHO_REPLY
                && (reply.get(SHORT_BE, ihl + 4) & 0xffff) == id
                && (reply.get(SHORT_BE, ihl + 6) & 0xffff) == (seq & 0xffff);
    }

    /** The Internet checksum (RFC 1071) of the first {@code length} bytes. */
    static int checksum(MemorySegment data, int length) {
        long sum = 0;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += data.get(SHORT_BE, i) & 0xffff;
        }
        if ((length & 1) != 0) {
            sum += (data.get(JAVA_BYTE, length - 1) & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    @Override
    public void close() {
        Libc.close(fd);
        arena.close();
    }
}
