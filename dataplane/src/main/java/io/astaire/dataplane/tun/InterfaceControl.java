package io.astaire.dataplane.tun;

import io.astaire.dataplane.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * Configures a network interface with the classic ioctls on a datagram socket (what {@code ip link}
 * and {@code ifconfig} do), so neither the operator nor the process has to run a tool. Works on
 * the network namespace of the calling thread: call it from the thread that opened the device.
 */
public final class InterfaceControl {
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCSIFADDR = 0x8916;
    static final long SIOCSIFNETMASK = 0x891c;
    static final long SIOCGIFMTU = 0x8921;
    static final long SIOCSIFMTU = 0x8922;
    static final long SIOCGIFINDEX = 0x8933;

    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = 16;
    static final short IFF_UP = 0x1;

    private InterfaceControl() {}

    /** The MTU of interface {@code name}. */
    public static int mtu(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(arena, name);
            ioctl(arena, Libc.AF_INET, SIOCGIFMTU, ifr, "read the MTU of " + name);
            return ifr.get(ValueLayout.JAVA_INT, 16);
        }
    }

    /** Sets the MTU of interface {@code name}. */
    public static void mtu(String name, int mtu) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(arena, name);
            ifr.set(ValueLayout.JAVA_INT, 16, mtu);
            ioctl(arena, Libc.AF_INET, SIOCSIFMTU, ifr, "set the MTU of " + name + " to " + mtu);
        }
    }

    /** Brings interface {@code name} up (or down), keeping its other flags. */
    public static void up(String name, boolean up) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(arena, name);
            ioctl(arena, Libc.AF_INET, SIOCGIFFLAGS, ifr, "read the flags of " + name);
            short flags = ifr.get(ValueLayout.JAVA_SHORT, 16);
            flags = (short) (up ? flags | IFF_UP : flags & ~IFF_UP);
            ifr.set(ValueLayout.JAVA_SHORT, 16, flags);
            ioctl(arena, Libc.AF_INET, SIOCSIFFLAGS, ifr, "bring " + name + (up ? " up" : " down"));
        }
    }

    /** True when interface {@code name} is administratively up. */
    public static boolean isUp(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(arena, name);
            ioctl(arena, Libc.AF_INET, SIOCGIFFLAGS, ifr, "read the flags of " + name);
            return (ifr.get(ValueLayout.JAVA_SHORT, 16) & IFF_UP) != 0;
        }
    }

    /** The kernel's index of interface {@code name}. */
    public static int index(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(arena, name);
            ioctl(arena, Libc.AF_INET, SIOCGIFINDEX, ifr, "find interface " + name);
            return ifr.get(ValueLayout.JAVA_INT, 16);
        }
    }

    /**
     * Assigns {@code address/prefixLength} to interface {@code name}: IPv4 replaces the primary
     * address (SIOCSIFADDR + netmask); IPv6 adds one (in6_ifreq on an AF_INET6 socket).
     */
    public static void addAddress(String name, InetAddress address, int prefixLength) {
        try (Arena arena = Arena.ofConfined()) {
            if (address instanceof Inet4Address) {
                if (prefixLength < 0 || prefixLength > 32) {
                    throw new IllegalArgumentException("IPv4 prefix length " + prefixLength + " is outside 0-32");
                }
                MemorySegment ifr = ifreq(arena, name);
                sockaddrIn(ifr, address.getAddress());
                ioctl(arena, Libc.AF_INET, SIOCSIFADDR, ifr, "assign " + address.getHostAddress() + " to " + name);
                int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
                byte[] m = {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
                MemorySegment ifm = ifreq(arena, name);
                sockaddrIn(ifm, m);
                ioctl(arena, Libc.AF_INET, SIOCSIFNETMASK, ifm, "set the netmask of " + name + " to /" + prefixLength);
            } else {
                if (prefixLength < 0 || prefixLength > 128) {
                    throw new IllegalArgumentException("IPv6 prefix length " + prefixLength + " is outside 0-128");
                }
                int ifindex = index(name);
                MemorySegment req = arena.allocate(24, 4);
                MemorySegment.copy(address.getAddress(), 0, req, ValueLayout.JAVA_BYTE, 0, 16);
                req.set(ValueLayout.JAVA_INT, 16, prefixLength);
                req.set(ValueLayout.JAVA_INT, 20, ifindex);
                ioctl(arena, Libc.AF_INET6, SIOCSIFADDR, req, "assign " + address.getHostAddress() + " to " + name);
            }
        }
    }

    private static void sockaddrIn(MemorySegment ifr, byte[] addr) {
        ifr.set(ValueLayout.JAVA_SHORT, 16, (short) Libc.AF_INET); // sa_family is host order
        MemorySegment.copy(addr, 0, ifr, ValueLayout.JAVA_BYTE, 20, 4);
    }

    static MemorySegment ifreq(Arena arena, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length == 0 || bytes.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name '" + name + "' must be 1-" + (IFNAMSIZ - 1) + " characters");
        }
        MemorySegment ifr = arena.allocate(IFREQ_SIZE, 8);
        MemorySegment.copy(bytes, 0, ifr, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return ifr;
    }

    static void ioctl(Arena arena, int family, long request, MemorySegment arg, String what) {
        MemorySegment state = Libc.newCallState(arena);
        int sock = Libc.socket(state, family, Libc.SOCK_DGRAM, 0);
        if (sock < 0) {
            int errno = Libc.errno(state);
            throw new TunException("cannot " + what + ": socket() failed: " + Libc.strerror(errno), errno);
        }
        try {
            if (TunLibc.ioctl(state, sock, request, arg) < 0) {
                int errno = Libc.errno(state);
                throw new TunException("cannot " + what + ": " + Libc.strerror(errno) + hint(errno), errno);
            }
        } finally {
            Libc.close(sock);
        }
    }

    static String hint(int errno) {
        return switch (errno) {
            case Libc.EPERM, Libc.EACCES -> " (needs root or the CAP_NET_ADMIN capability; in Kubernetes add NET_ADMIN to the container's securityContext)";
            case Libc.ENODEV, Libc.ENXIO -> " (no such interface in this network namespace)";
            default -> "";
        };
    }
}
