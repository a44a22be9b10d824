package io.astaire.dataplane.transport;

import io.astaire.model.HopAddress;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;

/**
 * Where a role listens for NSH when it is not told ({@code --listen}): on the address the topology
 * gives it when that address is one of this host's, so nothing else on the host's other networks
 * can inject packets into a later hop of a chain (past its ACL); on every interface only when the
 * topology names the hop by a DNS name (as on Kubernetes, where the pod's address is not known in
 * advance), or when the literal is not an address of this host (behind a NAT or a virtual IP).
 * The family always follows the topology's: an IPv6 hop gets an IPv6 socket, so it can send to
 * IPv6 next hops (an IPv4 socket cannot, and would fail every send).
 */
public final class DefaultListen {

    /** The address chosen and, for the log line, why. */
    public record Choice(InetSocketAddress address, String why, boolean everyInterface) {}

    private DefaultListen() {}

    /** The listening address for a hop the topology puts at {@code self} ({@code what} names it in the reason). */
    public static Choice forHop(HopAddress self, String what) {
        int port = self.port();
        InetAddress literal;
        try {
            literal = InetAddress.ofLiteral(self.host());
        } catch (IllegalArgumentException aName) {
            return new Choice(new InetSocketAddress(wildcardForNames(), port),
                    "the topology names " + what + " '" + self.host() + "', a DNS name: every interface", true);
        }
        if (isLocal(literal)) {
            return new Choice(new InetSocketAddress(literal, port), "the topology's address of " + what, false);
        }
        InetAddress any = wildcard(literal instanceof Inet6Address);
        return new Choice(new InetSocketAddress(any, port),
                "the topology's address of " + what + " (" + self.host() + ") is not an address of this host: every "
                        + (literal instanceof Inet6Address ? "IPv6" : "IPv4") + " interface", true);
    }

    /** The wildcard of one family ({@code [::]} or {@code 0.0.0.0}). */
    public static InetAddress wildcard(boolean ipv6) {
        return InetAddress.ofLiteral(ipv6 ? "::" : "0.0.0.0");
    }

    /**
     * For a name: the dual-stack {@code [::]} where this host has IPv6 (it receives IPv4 too and can
     * send to either family, whatever the name resolves to), else {@code 0.0.0.0}.
     */
    static InetAddress wildcardForNames() {
        return hasIpv6() ? wildcard(true) : wildcard(false);
    }

    static boolean isLocal(InetAddress address) {
        if (address.isAnyLocalAddress() || address.isLoopbackAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    private static boolean hasIpv6() {
        try {
            var interfaces = NetworkInterface.getNetworkInterfaces();
            while (interfaces != null && interfaces.hasMoreElements()) {
                var addresses = interfaces.nextElement().getInetAddresses();
                while (addresses.hasMoreElements()) {
                    if (addresses.nextElement() instanceof Inet6Address) {
                        return true;
                    }
                }
            }
        } catch (SocketException e) {
            return false;
        }
        return false;
    }
}
