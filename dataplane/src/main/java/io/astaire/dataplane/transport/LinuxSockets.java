package io.astaire.dataplane.transport;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.astaire.dataplane.sys.Libc;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * The libc socket calls only the Linux transport makes, bound once through {@link Libc} (which
 * holds the linker, errno capture, {@code strerror}, {@code socket} and {@code close}). Hot calls
 * ({@code recvmmsg}, {@code sendmmsg}) take pointers as {@code long} so that a call at an offset
 * into a preallocated array needs no new {@link MemorySegment}. Calls capture errno into a
 * segment from {@link Libc#newCallState}, except the per-batch ones ({@link #RECVMMSG_NO_ERRNO},
 * {@link #SENDMMSG_NO_ERRNO}): the JDK makes a new slice of the capture segment on every capturing
 * call, an allocation C2 removes only in some compiled shapes. The transport calls those without
 * errno and, on the rare -1, repeats the call through the capturing handle to learn why.
 */
final class LinuxSockets {

    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_REUSEPORT = 15;
    static final int SO_RCVTIMEO = 20;
    static final int IPPROTO_IP = 0;
    static final int IP_RECVERR = 11;
    static final int IPPROTO_IPV6 = 41;
    static final int IPV6_RECVERR = 25;
    static final int IPV6_V6ONLY = 26;
    static final int SOL_UDP = 17;
    /** Send: a {@code u16} cmsg (or socket option) with the size of each segment of a GSO message. */
    static final int UDP_SEGMENT = 103;
    /** Receive: a socket option to coalesce; an {@code int} cmsg with the segment size of a coalesced message. */
    static final int UDP_GRO = 104;
    static final int MSG_TRUNC = 0x20;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_ERRQUEUE = 0x2000;
    static final int MSG_WAITFORONE = 0x10000;
    static final int SHUT_RDWR = 2;
    static final int EMSGSIZE = 90;

    static final MethodHandle SETSOCKOPT = Libc.downcallCapturingErrno("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle BIND = Libc.downcallCapturingErrno("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle GETSOCKNAME = Libc.downcallCapturingErrno("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle RECVMMSG = Libc.downcallCapturingErrno("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG));
    static final MethodHandle SENDMMSG = Libc.downcallCapturingErrno("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
    /** {@code recvmmsg} without errno capture (allocation-free): for the steady state. */
    static final MethodHandle RECVMMSG_NO_ERRNO = Libc.downcall("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG));
    /** {@code sendmmsg} without errno capture (allocation-free): for the steady state. */
    static final MethodHandle SENDMMSG_NO_ERRNO = Libc.downcall("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
    static final MethodHandle RECVMSG = Libc.downcallCapturingErrno("recvmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle CONNECT = Libc.downcallCapturingErrno("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle SHUTDOWN = Libc.downcallCapturingErrno("shutdown",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private LinuxSockets() {}

    /** True on Linux on a 64-bit architecture whose {@code struct msghdr} layout we use. */
    static boolean platformSupported() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"));
    }
}
