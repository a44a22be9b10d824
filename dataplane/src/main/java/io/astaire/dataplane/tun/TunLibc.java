package io.astaire.dataplane.tun;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.astaire.dataplane.sys.Libc;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The libc calls only the TUN device makes, bound once through {@link Libc} (which holds the
 * linker, errno capture, {@code strerror}, {@code socket} and {@code close}). Every call that can
 * fail takes a call-state segment from {@link Libc#newCallState} and leaves errno in it.
 */
final class TunLibc {

    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int O_RDONLY = 0;

    static final int CLONE_NEWNET = 0x40000000;

    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;

    private static final MethodHandle OPEN = Libc.downcallCapturingErrno("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL = Libc.downcallCapturingErrno("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    // The buffer is passed as a raw address (a 64-bit integer in the x86-64 and AArch64 calling
    // conventions, like a pointer), so the packet path builds no MemorySegment per call.
    private static final MethodHandle READ = Libc.downcallCapturingErrno("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle WRITE = Libc.downcallCapturingErrno("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    // The packet path's calls, bound a second time without errno capture: a capturing call makes a
    // new slice of the capture segment every time, so the steady state uses these and repeats a
    // failed call through the capturing handle only to learn why it failed.
    private static final MethodHandle READ_NO_ERRNO = Libc.downcall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle WRITE_NO_ERRNO = Libc.downcall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle POLL_NO_ERRNO = Libc.downcall("poll",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    // TUNSETOFFLOAD takes its argument by value (an unsigned long), not through a pointer.
    private static final MethodHandle IOCTL_VALUE = Libc.downcallCapturingErrno("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SETNS = Libc.downcallCapturingErrno("setns",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private TunLibc() {}

    static int open(MemorySegment callState, MemorySegment path, int flags) {
        try {
            return (int) OPEN.invokeExact(callState, path, flags);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    static int ioctl(MemorySegment callState, int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL.invokeExact(callState, fd, request, arg);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    static long read(MemorySegment callState, int fd, long address, long count) {
        try {
            return (long) READ.invokeExact(callState, fd, address, count);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    static long write(MemorySegment callState, int fd, long address, long count) {
        try {
            return (long) WRITE.invokeExact(callState, fd, address, count);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    static long readNoErrno(int fd, long address, long count) {
        try {
            return (long) READ_NO_ERRNO.invokeExact(fd, address, count);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    static long writeNoErrno(int fd, long address, long count) {
        try {
            return (long) WRITE_NO_ERRNO.invokeExact(fd, address, count);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code poll} on {@code nfds} pollfds at native {@code fdsAddress}, without errno: -1 only says it failed. */
    static int pollNoErrno(long fdsAddress, long nfds, int timeoutMillis) {
        try {
            return (int) POLL_NO_ERRNO.invokeExact(fdsAddress, nfds, timeoutMillis);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** {@code ioctl(fd, request, value)} for the requests that take an integer by value. */
    static int ioctlValue(MemorySegment callState, int fd, long request, long value) {
        try {
            return (int) IOCTL_VALUE.invokeExact(callState, fd, request, value);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    static int setns(MemorySegment callState, int fd, int nstype) {
        try {
            return (int) SETNS.invokeExact(callState, fd, nstype);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }
}
