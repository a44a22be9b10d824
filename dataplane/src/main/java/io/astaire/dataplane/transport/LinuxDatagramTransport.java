package io.astaire.dataplane.transport;

import static io.astaire.dataplane.sys.Libc.AF_INET;
import static io.astaire.dataplane.sys.Libc.AF_INET6;
import static io.astaire.dataplane.sys.Libc.EAGAIN;
import static io.astaire.dataplane.sys.Libc.ECONNREFUSED;
import static io.astaire.dataplane.sys.Libc.EHOSTDOWN;
import static io.astaire.dataplane.sys.Libc.EHOSTUNREACH;
import static io.astaire.dataplane.sys.Libc.EINTR;
import static io.astaire.dataplane.sys.Libc.EINVAL;
import static io.astaire.dataplane.sys.Libc.EIO;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP over libc through the FFM API: {@code recvmmsg} with {@code MSG_WAITFORONE} and
 * {@code SO_RCVTIMEO} (blocks for the first datagram only, bounded so a worker can stop),
 * {@code sendmmsg} over the {@link PacketBatch}'s preallocated {@code mmsghdr} array: one system
 * call per batch each way and no allocation (those two calls skip errno capture, which allocates;
 * only after a -1 is the call repeated capturing errno). {@code IP_RECVERR} is on, so ICMP errors for the
 * datagrams we send are queued on the socket and {@link #drainErrors} tells which destination
 * refused (a replica that went away).
 *
 * <p>With offloads ({@link TransportOptions#offload()}) and a kernel that has them, a send puts
 * consecutive equal-sized datagrams to one destination into one {@code UDP_SEGMENT} (GSO)
 * message, and a receive takes coalesced ({@code UDP_GRO}) datagrams into the batch's receive
 * areas and splits them into slots. With {@link TransportOptions#sourcePorts()} above one, datagrams
 * leave from that many send-only sockets, each flow from one of them.
 *
 * <p>Closing from another thread is safe: the descriptors are shut down at once (waking a blocked
 * receiver) but only released when no call is using them, so a descriptor number is never reused
 * under a running call.
 */
public final class LinuxDatagramTransport implements DatagramTransport {

    private static final Logger LOG = LoggerFactory.getLogger(LinuxDatagramTransport.class);
    private static final VarHandle STATE;
    private static final int CLOSED = 1 << 30;
    /** The largest UDP payload of one GSO message (IPv4's limit, so it holds for both families). */
    static final int MAX_GSO_BYTES = 65507;
    // struct cmsghdr { size_t len; int level; int type; } then the data, 8-byte aligned
    private static final long CMSG_HEADER = 16;
    private static final long SEGMENT_CMSG_LEN = CMSG_HEADER + 2;
    private static final long SEGMENT_CMSG_SPACE = CMSG_HEADER + 8;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(LinuxDatagramTransport.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The bound socket first, then the send-only ones (none when sending from the bound one). */
    private final int[] fds;
    private final int sendSockets;
    private final int family;
    /** The errno of the last message the kernel refused for good (0: none yet); read by readiness checks. */
    private volatile int lastSendErrno;
    private final InetSocketAddress localAddress;
    private final boolean gro;
    private final boolean keepSource;
    /** The destination the send-only sockets are connected to, or null. */
    private final Endpoint connectedPeer;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment receiveState = newCallState(arena);
    private final MemorySegment sendState = newCallState(arena);
    private final MemorySegment errorState = newCallState(arena);
    private final MemorySegment errorMsg = arena.allocate(64, 8);
    private final MemorySegment errorName = arena.allocate(PacketBatch.NAME_SIZE, 8);
    private final MemorySegment errorIov = arena.allocate(PacketBatch.IOVEC_SIZE, 8);
    private final MemorySegment errorPayload = arena.allocate(64, 8);
    private final MemorySegment errorControl = arena.allocate(512, 8);
    /** Messages for sending a refused GSO message's datagrams one by one. */
    private final MemorySegment separately = arena.allocate(PacketBatch.MMSGHDR_SIZE * PacketBatch.MAX_SEGMENTS, 64);
    @SuppressWarnings("unused") // via STATE
    private volatile int state;
    private volatile boolean fdReleased;
    /** Turned off for good when the kernel says the route cannot segment (EIO). */
    private volatile boolean gso;
    /** Segments this size or larger are not grouped: the kernel refused one (larger than the path MTU). */
    private int gsoSegmentLimit = MAX_GSO_BYTES;
    /** Set by the receiving/sending thread when the kernel reported a queued ICMP error. */
    private boolean errorsPending;
    /**
     * Test hook: the next GSO message fails as if the kernel answered EIO. Kernels since 6.11
     * segment in software for devices without checksum offload, and the remaining EIO causes
     * (UDP-Lite, an IPsec route) need modules a test machine may lack.
     */
    private boolean failNextGsoMessage;

    private LinuxDatagramTransport(int[] fds, int family, InetSocketAddress localAddress, TransportOptions options,
                                   boolean gso, boolean gro, Endpoint connectedPeer) {
        this.fds = fds;
        this.sendSockets = Math.max(1, fds.length - 1);
        this.family = family;
        this.localAddress = localAddress;
        this.gso = gso;
        this.gro = gro;
        this.keepSource = options.keepSourceAddress();
        this.connectedPeer = connectedPeer;
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

    /** Opens, configures and binds a socket, and the send-only sockets the options ask for. */
    public static LinuxDatagramTransport open(TransportOptions options) {
        UdpOffload.logOnce();
        InetSocketAddress bind = options.bind();
        int family = bind.getAddress() instanceof Inet6Address ? AF_INET6 : AF_INET;
        int extra = options.sourcePorts() > 1 ? options.sourcePorts() : 0;
        int[] fds = new int[1 + extra];
        Arrays.fill(fds, -1);
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment cs = newCallState(tmp);
            try {
                fds[0] = newSocket(tmp, cs, family, options);
                if (options.reusePort()) {
                    setInt(tmp, cs, fds[0], SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
                }
                if (options.receiveBufferBytes() > 0) {
                    setInt(tmp, cs, fds[0], SOL_SOCKET, SO_RCVBUF, options.receiveBufferBytes(), "SO_RCVBUF");
                }
                long micros = Math.max(1000, options.receiveTimeout().toNanos() / 1000);
                MemorySegment tv = tmp.allocate(16, 8);
                tv.set(ValueLayout.JAVA_LONG, 0, micros / 1_000_000);
                tv.set(ValueLayout.JAVA_LONG, 8, micros % 1_000_000);
                check((int) SETSOCKOPT.invokeExact(cs, fds[0], SOL_SOCKET, SO_RCVTIMEO, tv, 16), cs, "setsockopt(SO_RCVTIMEO)");
                Endpoint local = Endpoint.of(bind);
                bind(cs, fds[0], family, local);
                InetSocketAddress bound = boundAddress(tmp, cs, fds[0], family, bind);
                boolean offload = options.offload() == TransportOptions.Offload.AUTO;
                boolean gro = offload && UdpOffload.groSupported() && trySetInt(tmp, cs, fds[0], SOL_UDP, UDP_GRO, 1);
                boolean gso = offload && UdpOffload.gsoSupported();
                Endpoint peer = options.peer() == null ? null : Endpoint.of(options.peer());
                MemorySegment peerName = peer == null ? null : (family == AF_INET6 ? peer.sockaddrIn6() : peer.sockaddrIn());
                Endpoint sendFrom = Endpoint.of(new InetSocketAddress(bind.getAddress(), 0));
                for (int s = 1; s < fds.length; s++) {
                    fds[s] = newSocket(tmp, cs, family, options);
                    bind(cs, fds[s], family, sendFrom);
                    if (peerName != null) {
                        check((int) CONNECT.invokeExact(cs, fds[s], peerName, (int) peerName.byteSize()), cs, "connect " + peer);
                    }
                }
                return new LinuxDatagramTransport(fds, family, bound, options, gso, gro,
                        extra > 0 && peerName != null ? peer : null);
            } catch (RuntimeException | Error e) {
                for (int fd : fds) {
                    if (fd >= 0) {
                        Libc.close(fd);
                    }
                }
                throw e;
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A UDP socket with what every socket of a transport has: send buffer, ICMP errors, dual stack. */
    private static int newSocket(Arena tmp, MemorySegment cs, int family, TransportOptions options) throws Throwable {
        int fd = Libc.socket(cs, family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw failure("socket", errno(cs));
        }
        try {
            if (options.sendBufferBytes() > 0) {
                setInt(tmp, cs, fd, SOL_SOCKET, SO_SNDBUF, options.sendBufferBytes(), "SO_SNDBUF");
            }
            if (family == AF_INET6) {
                setInt(tmp, cs, fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
                setInt(tmp, cs, fd, IPPROTO_IPV6, IPV6_RECVERR, 1, "IPV6_RECVERR");
            } else {
                setInt(tmp, cs, fd, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR");
            }
            return fd;
        } catch (RuntimeException | Error e) {
            Libc.close(fd);
            throw e;
        }
    }

    private static void bind(MemorySegment cs, int fd, int family, Endpoint local) throws Throwable {
        MemorySegment sa = family == AF_INET6 ? local.sockaddrIn6() : local.sockaddrIn();
        int r = (int) BIND.invokeExact(cs, fd, sa, (int) sa.byteSize());
        if (r < 0) {
            throw failure("bind " + local, errno(cs));
        }
    }

    private static InetSocketAddress boundAddress(Arena tmp, MemorySegment cs, int fd, int family, InetSocketAddress bind) throws Throwable {
        MemorySegment name = tmp.allocate(PacketBatch.NAME_SIZE, 8);
        MemorySegment len = tmp.allocate(ValueLayout.JAVA_INT);
        len.set(ValueLayout.JAVA_INT, 0, (int) PacketBatch.NAME_SIZE);
        check((int) GETSOCKNAME.invokeExact(cs, fd, name, len), cs, "getsockname");
        InetSocketAddress bound = PacketBatch.decodeName(name);
        if (family == AF_INET6 && bind.getAddress() instanceof Inet6Address && bound != null
                && bound.getAddress() instanceof Inet4Address) {
            bound = new InetSocketAddress(bind.getAddress(), bound.getPort());
        }
        return bound;
    }

    private static void setInt(Arena arena, MemorySegment cs, int fd, int level, int option, int value, String what) throws Throwable {
        if (!trySetInt(arena, cs, fd, level, option, value)) {
            throw failure("setsockopt(" + what + ")", errno(cs));
        }
    }

    private static boolean trySetInt(Arena arena, MemorySegment cs, int fd, int level, int option, int value) throws Throwable {
        MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
        v.set(ValueLayout.JAVA_INT, 0, value);
        return (int) SETSOCKOPT.invokeExact(cs, fd, level, option, v, 4) == 0;
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
    public String lastSendError() {
        int e = lastSendErrno;
        return e == 0 ? null : strerror(e) + " (errno " + e + ")";
    }

    @Override
    public boolean gsoInUse() {
        return gso;
    }

    @Override
    public boolean groInUse() {
        return gro;
    }

    /** Test hook: the next GSO message is refused as if with EIO (see {@link #failNextGsoMessage}). */
    void failNextGsoMessageWithEio() {
        failNextGsoMessage = true;
    }

    /** Where each send socket is bound, in order (the bound socket's address when it sends itself). For tests. */
    List<InetSocketAddress> sendAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment cs = newCallState(tmp);
            for (int s = fds.length == 1 ? 0 : 1; s < fds.length; s++) {
                out.add(boundAddress(tmp, cs, fds[s], family, localAddress));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return out;
    }

    // --- receive ---------------------------------------------------------------------------------

    @Override
    public int receive(PacketBatch batch) {
        if (!acquire()) {
            return -1;
        }
        try {
            if (batch.hasPendingSegments()) {
                return batch.deliverSegments(keepSource);
            }
            return gro ? receiveCoalesced(batch) : receiveEach(batch);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            release();
        }
    }

    /** One datagram per slot, straight into the slot's own region. */
    private int receiveEach(PacketBatch batch) throws Throwable {
        int capacity = batch.capacity();
        MemorySegment msgs = batch.msgs;
        MemorySegment iovecs = batch.iovecs;
        int room = batch.maxDatagram();
        int headroom = batch.headroom();
        for (int i = 0; i < capacity; i++) {
            iovecs.set(ValueLayout.JAVA_LONG, i * PacketBatch.IOVEC_SIZE, batch.slotAddress(i) + headroom);
            iovecs.set(ValueLayout.JAVA_LONG, i * PacketBatch.IOVEC_SIZE + 8, room);
            prepareReceive(batch, i, i, 0);
        }
        int n = receiveMessages(msgs, capacity);
        if (n <= 0) {
            batch.size(0);
            return n;
        }
        for (int i = 0; i < n; i++) {
            long m = i * PacketBatch.MMSGHDR_SIZE;
            int len = msgs.get(ValueLayout.JAVA_INT, m + PacketBatch.MSG_LEN);
            boolean truncated = (msgs.get(ValueLayout.JAVA_INT, m + PacketBatch.MSG_FLAGS) & MSG_TRUNC) != 0;
            batch.received(i, Math.min(len, room), truncated, null, keepSource ? i : -1);
        }
        batch.size(n);
        return n;
    }

    /** A few messages of up to 64 KiB each (coalesced datagrams), split into slots. */
    private int receiveCoalesced(PacketBatch batch) throws Throwable {
        batch.ensureAreas();
        int areas = batch.areas();
        MemorySegment msgs = batch.msgs;
        MemorySegment iovecs = batch.iovecs;
        for (int a = 0; a < areas; a++) {
            iovecs.set(ValueLayout.JAVA_LONG, a * PacketBatch.IOVEC_SIZE, batch.areaPayloadAddress(a));
            iovecs.set(ValueLayout.JAVA_LONG, a * PacketBatch.IOVEC_SIZE + 8, PacketBatch.AREA_PAYLOAD);
            prepareReceive(batch, a, a, PacketBatch.CONTROL_SIZE);
        }
        int n = receiveMessages(msgs, areas);
        batch.resetMessages();
        if (n <= 0) {
            batch.size(0);
            return n;
        }
        MemorySegment controls = batch.controls;
        for (int a = 0; a < n; a++) {
            long m = a * PacketBatch.MMSGHDR_SIZE;
            int len = msgs.get(ValueLayout.JAVA_INT, m + PacketBatch.MSG_LEN);
            boolean truncated = (msgs.get(ValueLayout.JAVA_INT, m + PacketBatch.MSG_FLAGS) & MSG_TRUNC) != 0;
            long controlLength = msgs.get(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_CONTROLLEN);
            int segment = segmentSize(controls, a * PacketBatch.CONTROL_SIZE, Math.min(controlLength, PacketBatch.CONTROL_SIZE));
            batch.addMessage(a, len, segment, truncated);
        }
        return batch.deliverSegments(keepSource);
    }

    /** Sets up message {@code i} to receive through iovec {@code i}, with a control buffer of {@code control} bytes. */
    private void prepareReceive(PacketBatch batch, int i, int name, long control) {
        MemorySegment msgs = batch.msgs;
        long m = i * PacketBatch.MMSGHDR_SIZE;
        msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_NAME, keepSource ? batch.names.address() + name * PacketBatch.NAME_SIZE : 0L);
        msgs.set(ValueLayout.JAVA_INT, m + PacketBatch.MSG_NAMELEN, keepSource ? (int) PacketBatch.NAME_SIZE : 0);
        msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_IOV, batch.iovecs.address() + i * PacketBatch.IOVEC_SIZE);
        msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_IOVLEN, 1);
        msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_CONTROL, control == 0 ? 0L : batch.controls.address() + i * PacketBatch.CONTROL_SIZE);
        msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_CONTROLLEN, control);
        msgs.set(ValueLayout.JAVA_INT, m + PacketBatch.MSG_FLAGS, 0);
    }

    /**
     * The {@code UDP_GRO} segment size in a message's control data, 0 when it is nonsense (not
     * positive), or {@link PacketBatch#NOT_COALESCED} when there is none.
     */
    static int segmentSize(MemorySegment control, long base, long length) {
        long off = 0;
        while (off + CMSG_HEADER <= length) {
            long cmsgLen = control.get(ValueLayout.JAVA_LONG, base + off);
            if (cmsgLen < CMSG_HEADER || off + cmsgLen > length) {
                break;
            }
            int level = control.get(ValueLayout.JAVA_INT, base + off + 8);
            int type = control.get(ValueLayout.JAVA_INT, base + off + 12);
            if (level == SOL_UDP && type == UDP_GRO && cmsgLen >= CMSG_HEADER + 4) {
                return Math.max(0, control.get(ValueLayout.JAVA_INT, base + off + CMSG_HEADER));
            }
            off += (cmsgLen + 7) & ~7L;
        }
        return PacketBatch.NOT_COALESCED;
    }

    /**
     * {@code recvmmsg} of up to {@code count} prepared messages.
     *
     * @return messages received; 0 on timeout or a reported error; -1 once closed
     */
    private int receiveMessages(MemorySegment msgs, int count) throws Throwable {
        int fd = fds[0];
        boolean capture = false;
        while (true) {
            // Steady state without errno capture: a capturing call allocates a slice of the capture segment.
            int n = capture
                    ? (int) RECVMMSG.invokeExact(receiveState, fd, msgs.address(), count, MSG_WAITFORONE | MSG_DONTWAIT, 0L)
                    : (int) RECVMMSG_NO_ERRNO.invokeExact(fd, msgs.address(), count, MSG_WAITFORONE, 0L);
            if ((state & CLOSED) != 0) {
                // shut down: a blocked call returns an empty "datagram" or EAGAIN; either way we are done
                return -1;
            }
            if (n >= 0) {
                return n;
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
                    return 0;
                }
                case EINTR -> capture = false; // wait again, as before
                case ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN -> {
                    // A queued ICMP error surfaced here; the datagrams are still waiting.
                    errorsPending = true;
                    return 0;
                }
                default -> throw failure("recvmmsg", errno);
            }
        }
    }

    // --- send ------------------------------------------------------------------------------------

    @Override
    public int send(PacketBatch batch) {
        int size = batch.size();
        batch.clearSent(size);
        if (size == 0) {
            return 0;
        }
        if (!acquire()) {
            return 0;
        }
        try {
            int sent = 0;
            for (int s = 0; s < sendSockets; s++) {
                sent += sendFrom(batch, s);
            }
            return sent;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            release();
        }
    }

    /** Which of {@code sockets} send sockets carries a flow: mixed, so nearby hashes spread; the same hash always the same. */
    static int socketFor(int flowHash, int sockets) {
        long mixed = ((flowHash & 0xffffffffL) * 0x9E3779B97F4A7C15L) >>> 32;
        return (int) ((mixed * sockets) >>> 32);
    }

    /**
     * Sends the slots that leave from send socket {@code socket}, in order: consecutive ones to one
     * destination with one length (the last may be shorter) as one GSO message when GSO is on.
     *
     * @return slots handed to the kernel
     */
    private int sendFrom(PacketBatch batch, int socket) throws Throwable {
        int size = batch.size();
        MemorySegment msgs = batch.msgs;
        MemorySegment iovecs = batch.iovecs;
        boolean v6 = family == AF_INET6;
        boolean grouping = gso;
        int limit = gsoSegmentLimit;
        int messages = 0;
        int iovs = 0;
        Endpoint groupTo = null;
        int groupSegment = 0;
        int groupCount = 0;
        int groupBytes = 0;
        boolean groupOpen = false;
        for (int i = 0; i < size; i++) {
            Endpoint to = batch.destination(i);
            if (to == null || (sendSockets > 1 && socketFor(batch.flowHash(i), sendSockets) != socket)) {
                continue;
            }
            MemorySegment sa = v6 ? to.sockaddrIn6() : to.sockaddrIn();
            if (sa == null) {
                continue; // an IPv6 destination on an IPv4 socket: not sent, so counted as failed
            }
            int len = batch.length(i);
            long v = iovs * PacketBatch.IOVEC_SIZE;
            iovecs.set(ValueLayout.JAVA_LONG, v, batch.address(i) + batch.offset(i));
            iovecs.set(ValueLayout.JAVA_LONG, v + 8, len);
            batch.iovecSlot[iovs] = i;
            iovs++;
            if (groupOpen && (to == groupTo || to.equals(groupTo)) && len <= groupSegment
                    && groupCount < PacketBatch.MAX_SEGMENTS && groupBytes + len <= MAX_GSO_BYTES) {
                groupCount++;
                groupBytes += len;
                if (len < groupSegment) {
                    finishMessage(batch, messages - 1, groupCount, groupSegment);
                    groupOpen = false;
                }
                continue;
            }
            if (groupOpen) {
                finishMessage(batch, messages - 1, groupCount, groupSegment);
            }
            long m = messages * PacketBatch.MMSGHDR_SIZE;
            boolean named = connectedPeer == null || !(to == connectedPeer || to.equals(connectedPeer));
            msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_NAME, named ? sa.address() : 0L);
            msgs.set(ValueLayout.JAVA_INT, m + PacketBatch.MSG_NAMELEN, named ? (int) sa.byteSize() : 0);
            msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_IOV, iovecs.address() + v);
            msgs.set(ValueLayout.JAVA_INT, m + PacketBatch.MSG_FLAGS, 0);
            messages++;
            groupTo = to;
            groupSegment = len;
            groupCount = 1;
            groupBytes = len;
            groupOpen = grouping && len > 0 && len < limit;
            if (!groupOpen) {
                finishMessage(batch, messages - 1, 1, 0);
            }
        }
        if (groupOpen) {
            finishMessage(batch, messages - 1, groupCount, groupSegment);
        }
        return messages == 0 ? 0 : transmit(batch, sendFd(socket), msgs, messages, false);
    }

    private int sendFd(int socket) {
        return fds.length == 1 ? fds[0] : fds[1 + socket];
    }

    /** Closes message {@code index}: its iovec count, and a {@code UDP_SEGMENT} cmsg when it carries several. */
    private static void finishMessage(PacketBatch batch, int index, int segments, int segmentSize) {
        MemorySegment msgs = batch.msgs;
        long m = index * PacketBatch.MMSGHDR_SIZE;
        msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_IOVLEN, segments);
        if (segments == 1) {
            msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_CONTROL, 0L);
            msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_CONTROLLEN, 0L);
            return;
        }
        MemorySegment controls = batch.controls;
        long c = index * PacketBatch.CONTROL_SIZE;
        controls.set(ValueLayout.JAVA_LONG, c, SEGMENT_CMSG_LEN);
        controls.set(ValueLayout.JAVA_INT, c + 8, SOL_UDP);
        controls.set(ValueLayout.JAVA_INT, c + 12, UDP_SEGMENT);
        controls.set(ValueLayout.JAVA_SHORT, c + CMSG_HEADER, (short) segmentSize);
        msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_CONTROL, controls.address() + c);
        msgs.set(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_CONTROLLEN, SEGMENT_CMSG_SPACE);
    }

    /**
     * {@code sendmmsg} of {@code count} prepared messages of {@code messages} on {@code fd},
     * marking the slots of each message the kernel took.
     *
     * @return slots sent
     */
    private int transmit(PacketBatch batch, int fd, MemorySegment messages, int count, boolean separate) throws Throwable {
        long base = messages.address();
        int done = 0;
        int sent = 0;
        int retries = 0;
        boolean capture = false;
        while (done < count) {
            if (failNextGsoMessage && !separate && segments(messages, done) > 1) {
                failNextGsoMessage = false;
                sent += sendSeparately(batch, fd, messages, done++, EIO);
                continue;
            }
            long at = base + done * PacketBatch.MMSGHDR_SIZE;
            // Steady state without errno capture: a capturing call allocates a slice of the capture segment.
            int r = capture
                    ? (int) SENDMMSG.invokeExact(sendState, fd, at, count - done, 0)
                    : (int) SENDMMSG_NO_ERRNO.invokeExact(fd, at, count - done, 0);
            if (r > 0) {
                for (int j = done; j < done + r; j++) {
                    sent += markSent(batch, messages, j);
                }
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
            if (!separate && segments(messages, done) > 1 && (errno == EIO || errno == EINVAL || errno == EMSGSIZE)) {
                sent += sendSeparately(batch, fd, messages, done, errno);
            } else {
                lastSendErrno = errno; // the message is dropped: say why to whoever watches sends
            }
            done++;
            retries = 0;
        }
        return sent;
    }

    private static int segments(MemorySegment messages, int index) {
        return (int) messages.get(ValueLayout.JAVA_LONG, index * PacketBatch.MMSGHDR_SIZE + PacketBatch.MSG_IOVLEN);
    }

    /** Marks the slots of message {@code index} as sent; returns how many. */
    private static int markSent(PacketBatch batch, MemorySegment messages, int index) {
        long m = index * PacketBatch.MMSGHDR_SIZE;
        long iov = messages.get(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_IOV);
        int first = (int) ((iov - batch.iovecs.address()) / PacketBatch.IOVEC_SIZE);
        int count = segments(messages, index);
        for (int k = first; k < first + count; k++) {
            batch.markSent(batch.iovecSlot[k]);
        }
        return count;
    }

    /**
     * The kernel refused GSO message {@code index}: send its datagrams one by one. EIO means the
     * route cannot carry segmented datagrams (IPsec; before Linux 6.11 also a device without
     * transmit checksum offload): that will not change, so GSO stays off for this transport.
     * EINVAL or EMSGSIZE (a segment larger than the path MTU) only stops grouping datagrams that large.
     */
    private int sendSeparately(PacketBatch batch, int fd, MemorySegment messages, int index, int errno) throws Throwable {
        long m = index * PacketBatch.MMSGHDR_SIZE;
        long iov = messages.get(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_IOV);
        int count = segments(messages, index);
        if (errno == EIO) {
            if (gso) {
                gso = false;
                LOG.warn("UDP GSO refused on {} (EIO: the route cannot carry segmented datagrams, such as an IPsec route, or before Linux 6.11 a device without checksum offload); sending one datagram per message from now on",
                        localAddress);
            }
        } else {
            int segment = (int) batch.iovecs.get(ValueLayout.JAVA_LONG, iov - batch.iovecs.address() + 8);
            gsoSegmentLimit = Math.min(gsoSegmentLimit, segment);
        }
        for (int k = 0; k < count; k++) {
            long s = k * PacketBatch.MMSGHDR_SIZE;
            separately.set(ValueLayout.JAVA_LONG, s + PacketBatch.MSG_NAME, messages.get(ValueLayout.JAVA_LONG, m + PacketBatch.MSG_NAME));
            separately.set(ValueLayout.JAVA_INT, s + PacketBatch.MSG_NAMELEN, messages.get(ValueLayout.JAVA_INT, m + PacketBatch.MSG_NAMELEN));
            separately.set(ValueLayout.JAVA_LONG, s + PacketBatch.MSG_IOV, iov + k * PacketBatch.IOVEC_SIZE);
            separately.set(ValueLayout.JAVA_LONG, s + PacketBatch.MSG_IOVLEN, 1);
            separately.set(ValueLayout.JAVA_LONG, s + PacketBatch.MSG_CONTROL, 0L);
            separately.set(ValueLayout.JAVA_LONG, s + PacketBatch.MSG_CONTROLLEN, 0L);
            separately.set(ValueLayout.JAVA_INT, s + PacketBatch.MSG_FLAGS, 0);
        }
        return transmit(batch, fd, separately, count, true);
    }

    @Override
    public int drainErrors(UnreachableListener listener) {
        if (!errorsPending) {
            return 0;
        }
        errorsPending = false;
        return drainErrorQueue(listener);
    }

    /** Reads the sockets' error queues whether or not an error was seen; for tests and idle moments. */
    int drainErrorQueue(UnreachableListener listener) {
        if (!acquire()) {
            return 0;
        }
        int reported = 0;
        try {
            for (int fd : fds) {
                reported += drainErrorQueue(fd, listener);
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

    private int drainErrorQueue(int fd, UnreachableListener listener) throws Throwable {
        int reported = 0;
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
            for (int fd : fds) {
                int ignored = (int) SHUTDOWN.invokeExact(cs, fd, SHUT_RDWR); // wakes a blocked recvmmsg
            }
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
        for (int fd : fds) {
            try {
                Libc.close(fd);
            } catch (Throwable t) {
                // nothing more to do
            }
        }
    }

    @Override
    public String toString() {
        return "recvmmsg/sendmmsg UDP " + localAddress;
    }
}
