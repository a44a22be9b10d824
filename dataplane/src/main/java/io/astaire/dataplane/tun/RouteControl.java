package io.astaire.dataplane.tun;

import io.astaire.dataplane.sys.Libc;
import io.astaire.model.IpPrefix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

/**
 * Adds, deletes and looks up routes in the main table with the classic {@code SIOCADDRT} /
 * {@code SIOCDELRT} ioctls ({@code struct rtentry} for IPv4, {@code struct in6_rtmsg} for IPv6) and
 * {@code /proc/thread-self/net/{route,ipv6_route}}, so an edge in a container image without
 * iproute2 owns its routes. Works on the network namespace of the calling thread.
 *
 * <p>Two kinds of route: one into a device ({@code PREFIX dev tun0}), and a reject route
 * ({@code unreachable PREFIX}) that is not tied to any device and so outlives it.
 */
public final class RouteControl {
    static final long SIOCADDRT = 0x890B;
    static final long SIOCDELRT = 0x890C;
    static final short RTF_UP = 0x0001;
    static final short RTF_HOST = 0x0004;
    static final short RTF_REJECT = 0x0200;
    static final int RTN_UNREACHABLE = 7;

    // struct rtentry on LP64: rt_dst at 8, rt_genmask at 40, rt_flags at 56, rt_metric at 80, rt_dev at 88; 120 bytes.
    private static final int RTENTRY_SIZE = 120;
    // struct in6_rtmsg: dst 0, src 16, gateway 32, type 48, dst_len 52, src_len 54, metric 56, info 64, flags 72, ifindex 76; 80 bytes.
    private static final int IN6_RTMSG_SIZE = 80;

    private static final Path IPV4_ROUTES = Path.of("/proc/thread-self/net/route");
    private static final Path IPV6_ROUTES = Path.of("/proc/thread-self/net/ipv6_route");

    /**
     * One route. {@code device} null with {@code reject}: an unreachable route.
     *
     * @param metric the route's priority (lower wins), as {@code ip route ... metric N} shows it
     */
    public record Spec(IpPrefix prefix, String device, boolean reject, int metric) {
        public static Spec into(IpPrefix prefix, String device, int metric) {
            return new Spec(prefix, device, false, metric);
        }

        public static Spec unreachable(IpPrefix prefix, int metric) {
            return new Spec(prefix, null, true, metric);
        }

        @Override
        public String toString() {
            return (reject ? "unreachable " + prefix : prefix + " dev " + device) + " metric " + metric;
        }
    }

    private RouteControl() {}

    /** Adds {@code route}; fails with a {@link TunException} (EEXIST when it is there already). */
    public static void add(Spec route) {
        call(SIOCADDRT, route, "add route " + route);
    }

    /** Deletes {@code route}; fails with a {@link TunException} (ESRCH when it is not there). */
    public static void delete(Spec route) {
        call(SIOCDELRT, route, "delete route " + route);
    }

    /** Whether the main table of this thread's namespace holds {@code route} (prefix, device or reject, metric). */
    public static boolean exists(Spec route) {
        return route.prefix().isIpv6() ? existsIpv6(route) : existsIpv4(route);
    }

    private static void call(long request, Spec route, String what) {
        try (Arena arena = Arena.ofConfined()) {
            if (route.prefix().isIpv6()) {
                InterfaceControl.ioctl(arena, Libc.AF_INET6, request, in6Rtmsg(arena, route), what);
            } else {
                InterfaceControl.ioctl(arena, Libc.AF_INET, request, rtentry(arena, route), what);
            }
        }
    }

    private static MemorySegment rtentry(Arena arena, Spec route) {
        MemorySegment rt = arena.allocate(RTENTRY_SIZE, 8);
        IpPrefix p = route.prefix();
        sockaddrIn(rt, 8, p.address());
        int mask = p.length() == 0 ? 0 : -1 << (32 - p.length());
        sockaddrIn(rt, 40, new byte[] {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask});
        short flags = RTF_UP;
        if (p.length() == 32) {
            flags |= RTF_HOST;
        }
        if (route.reject()) {
            flags |= RTF_REJECT;
        }
        rt.set(ValueLayout.JAVA_SHORT, 56, flags);
        rt.set(ValueLayout.JAVA_SHORT, 80, (short) (route.metric() + 1)); // the kernel stores rt_metric - 1
        if (route.device() != null) {
            InterfaceControl.ifreq(arena, route.device()); // validates the name
            rt.set(ValueLayout.ADDRESS, 88, arena.allocateFrom(route.device()));
        }
        return rt;
    }

    private static MemorySegment in6Rtmsg(Arena arena, Spec route) {
        MemorySegment rt = arena.allocate(IN6_RTMSG_SIZE, 8);
        IpPrefix p = route.prefix();
        MemorySegment.copy(p.address(), 0, rt, ValueLayout.JAVA_BYTE, 0, 16);
        rt.set(ValueLayout.JAVA_INT, 48, route.reject() ? RTN_UNREACHABLE : 0);
        rt.set(ValueLayout.JAVA_SHORT, 52, (short) p.length());
        rt.set(ValueLayout.JAVA_INT, 56, route.metric());
        int flags = RTF_UP | (route.reject() ? RTF_REJECT : 0) | (p.length() == 128 ? RTF_HOST : 0);
        rt.set(ValueLayout.JAVA_INT, 72, flags);
        if (route.device() != null) {
            rt.set(ValueLayout.JAVA_INT, 76, InterfaceControl.index(route.device()));
        }
        return rt;
    }

    private static void sockaddrIn(MemorySegment rt, long offset, byte[] addr) {
        rt.set(ValueLayout.JAVA_SHORT, offset, (short) Libc.AF_INET);
        MemorySegment.copy(addr, 0, rt, ValueLayout.JAVA_BYTE, offset + 4, 4);
    }

    // /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ...; addresses are
    // the in-memory (network order) bytes printed as a little-endian hex word.
    private static boolean existsIpv4(Spec route) {
        String dst = procHex(route.prefix().address());
        int m = route.prefix().length() == 0 ? 0 : -1 << (32 - route.prefix().length());
        String mask = procHex(new byte[] {(byte) (m >>> 24), (byte) (m >>> 16), (byte) (m >>> 8), (byte) m});
        for (String line : lines(IPV4_ROUTES)) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || f[0].equals("Iface")) {
                continue;
            }
            boolean reject = (Long.parseLong(f[3], 16) & RTF_REJECT) != 0;
            boolean device = route.reject() ? reject : !reject && f[0].equals(route.device());
            if (device && f[1].equalsIgnoreCase(dst) && f[7].equalsIgnoreCase(mask) && Integer.parseInt(f[6]) == route.metric()) {
                return true;
            }
        }
        return false;
    }

    private static String procHex(byte[] a) {
        return HexFormat.of().formatHex(new byte[] {a[3], a[2], a[1], a[0]});
    }

    // /proc/net/ipv6_route: dst dst_len src src_len next_hop metric refcnt use flags device (hex, dst in network order).
    private static boolean existsIpv6(Spec route) {
        String dst = HexFormat.of().formatHex(route.prefix().address());
        for (String line : lines(IPV6_ROUTES)) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10) {
                continue;
            }
            boolean reject = (Long.parseLong(f[8], 16) & RTF_REJECT) != 0;
            boolean device = route.reject() ? reject : !reject && f[9].equals(route.device());
            if (device && f[0].equalsIgnoreCase(dst) && Integer.parseInt(f[1], 16) == route.prefix().length()
                    && Long.parseLong(f[5], 16) == route.metric()) {
                return true;
            }
        }
        return false;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
