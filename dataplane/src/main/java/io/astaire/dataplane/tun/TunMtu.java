package io.astaire.dataplane.tun;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The TUN MTU rule: an inner packet plus its encapsulation must fit the underlay's MTU, so
 * {@code TUN MTU = underlay MTU - overhead}. The overhead with NSH MD type 1 is outer IPv4 20 +
 * UDP 8 + VXLAN-GPE 8 + NSH 24 = 60 bytes (80 with an IPv6 underlay). The underlay MTU is the
 * operator's number or, by default, the MTU of the interface the kernel routes the first hop
 * through (read from this thread's network namespace).
 */
public final class TunMtu {
    public static final int OUTER_IPV4 = 20;
    public static final int OUTER_IPV6 = 40;
    public static final int UDP = 8;
    public static final int VXLAN_GPE = 8;
    public static final int NSH_MD1 = 24;
    public static final int OVERHEAD_IPV4 = OUTER_IPV4 + UDP + VXLAN_GPE + NSH_MD1;
    public static final int OVERHEAD_IPV6 = OUTER_IPV6 + UDP + VXLAN_GPE + NSH_MD1;
    /** The smallest TUN MTU accepted: IPv4's minimum datagram every host must take. */
    public static final int MIN_TUN_MTU = 576;

    private TunMtu() {}

    /** The TUN MTU for an underlay of {@code underlayMtu}; fails when too little is left. */
    public static int tunMtu(int underlayMtu, boolean ipv6Underlay) {
        int mtu = underlayMtu - (ipv6Underlay ? OVERHEAD_IPV6 : OVERHEAD_IPV4);
        if (mtu < MIN_TUN_MTU) {
            throw new IllegalArgumentException("underlay MTU " + underlayMtu + " leaves " + mtu
                    + " bytes for the TUN after " + (ipv6Underlay ? OVERHEAD_IPV6 : OVERHEAD_IPV4)
                    + " bytes of encapsulation; at least " + MIN_TUN_MTU + " are needed");
        }
        return mtu;
    }

    /** The routing decision for a destination: the interface and its MTU. */
    public record Route(String device, int mtu) {}

    /**
     * The interface the kernel would use to reach {@code destination} (longest prefix, then lowest
     * metric, from {@code /proc/thread-self/net/route} or {@code ipv6_route}) and that device's MTU.
     * A route's own {@code mtu} attribute is not visible there: pass {@code --underlay-mtu}
     * when a route lowers it.
     *
     * @throws IllegalStateException when there is no route, naming the destination
     */
    public static Route routeTo(InetAddress destination) {
        try {
            return destination instanceof Inet4Address v4 ? routeTo4(v4) : routeTo6(destination);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the routing table to find the underlay MTU: " + e.getMessage()
                    + " (pass it with --underlay-mtu N)", e);
        }
    }

    private static Route routeTo4(Inet4Address destination) throws IOException {
        byte[] d = destination.getAddress();
        int dst = (d[0] & 0xff) << 24 | (d[1] & 0xff) << 16 | (d[2] & 0xff) << 8 | (d[3] & 0xff);
        List<String> lines = Files.readAllLines(procNet("route"));
        String bestDevice = null;
        int bestLength = -1;
        int bestMetric = Integer.MAX_VALUE;
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).trim().split("\\s+");
            if (f.length < 9) {
                continue;
            }
            int flags = Integer.parseInt(f[3], 16);
            if ((flags & 0x1) == 0) { // RTF_UP
                continue;
            }
            int net = Integer.reverseBytes((int) Long.parseLong(f[1], 16)); // little-endian in /proc
            int mask = Integer.reverseBytes((int) Long.parseLong(f[7], 16));
            int metric = Integer.parseInt(f[6]);
            int length = Integer.bitCount(mask);
            if ((dst & mask) == net && (length > bestLength || (length == bestLength && metric < bestMetric))) {
                bestDevice = f[0];
                bestLength = length;
                bestMetric = metric;
            }
        }
        return route(destination, bestDevice);
    }

    private static Route routeTo6(InetAddress destination) throws IOException {
        byte[] d = destination.getAddress();
        List<String> lines = Files.readAllLines(procNet("ipv6_route"));
        String bestDevice = null;
        int bestLength = -1;
        long bestMetric = Long.MAX_VALUE;
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10) {
                continue;
            }
            long flags = Long.parseLong(f[8], 16);
            if ((flags & 0x1) == 0 || (flags & 0x200) != 0) { // RTF_UP, not RTF_REJECT
                continue;
            }
            int length = Integer.parseInt(f[1], 16);
            long metric = Long.parseLong(f[5], 16);
            if (matches6(d, f[0], length) && (length > bestLength || (length == bestLength && metric < bestMetric))
                    && !f[9].equals("lo")) {
                bestDevice = f[9];
                bestLength = length;
                bestMetric = metric;
            }
        }
        return route(destination, bestDevice);
    }

    private static boolean matches6(byte[] addr, String hexNet, int length) {
        for (int bit = 0; bit < length; bit++) {
            int b = bit >>> 3;
            int netByte = Integer.parseInt(hexNet.substring(b * 2, b * 2 + 2), 16);
            int m = 0x80 >>> (bit & 7);
            if ((addr[b] & m) != (netByte & m)) {
                return false;
            }
        }
        return true;
    }

    private static Route route(InetAddress destination, String device) {
        if (device == null) {
            throw new IllegalStateException("no route to " + destination.getHostAddress()
                    + " to take the underlay MTU from (add a route to it, or pass the underlay MTU with --underlay-mtu N)");
        }
        return new Route(device, InterfaceControl.mtu(device));
    }

    private static Path procNet(String table) {
        // thread-self: a thread moved into another network namespace (tests) sees that namespace's table.
        Path threadSelf = Path.of("/proc/thread-self/net", table);
        return Files.exists(threadSelf) ? threadSelf : Path.of("/proc/self/net", table);
    }
}
