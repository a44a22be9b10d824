package io.astaire.dataplane.transport;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * The libc socket calls the Linux transport makes, bound once through the FFM API. Hot calls
 * ({@code recvmmsg}, {@code sendmmsg}) take pointers as {@code long} so that a call at an offset
 * into a preallocated array needs no new {@link MemorySegment}; every call captures errno.
 */
final class LinuxSockets {

    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_DGRAM = 2;
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
    static final int MSG_TRUNC = 0x20;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_ERRQUEUE = 0x2000;
    static final int MSG_WAITFORONE = 0x10000;
    static final int SHUT_RDWR = 2;

    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOBUFS = 105;
    static final int ENETUNREACH = 101;
    static final int ECONNREFUSED = 111;
    static final int EHOSTDOWN = 112;
    static final int EHOSTUNREACH = 113;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final ValueLayout A = ValueLayout.ADDRESS;

    static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(I, I, I, I));
    static final MethodHandle SETSOCKOPT = bind("setsockopt", FunctionDescriptor.of(I, I, I, I, A, I));
    static final MethodHandle BIND = bind("bind", FunctionDescriptor.of(I, I, A, I));
    static final MethodHandle GETSOCKNAME = bind("getsockname", FunctionDescriptor.of(I, I, A, A));
    static final MethodHandle RECVMMSG = bind("recvmmsg", FunctionDescriptor.of(I, I, L, I, I, L));
    static final MethodHandle SENDMMSG = bind("sendmmsg", FunctionDescriptor.of(I, I, L, I, I));
    static final MethodHandle RECVMSG = bind("recvmsg", FunctionDescriptor.of(L, I, A, I));
    static final MethodHandle SHUTDOWN = bind("shutdown", FunctionDescriptor.of(I, I, I));
    static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(I, I));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(A, I));

    private LinuxSockets() {}

    private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
        SymbolLookup lookup = LINKER.defaultLookup();
        MemorySegment symbol = lookup.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, ERRNO_OPTION);
    }

    /** A segment to receive errno; one per calling thread and purpose. */
    static MemorySegment newCallState(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** True on Linux on a 64-bit architecture whose {@code struct msghdr} layout we use. */
    static boolean platformSupported() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"));
    }
}
