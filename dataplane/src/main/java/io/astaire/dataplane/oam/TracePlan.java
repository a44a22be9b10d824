package io.astaire.dataplane.oam;

import io.astaire.model.ChainSpec;
import io.astaire.model.EndpointSpec;
import io.astaire.model.HopAddress;
import io.astaire.model.IpPrefix;
import io.astaire.model.Protocol;
import io.astaire.model.RuleSpec;
import io.astaire.model.Topology;
import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A trace made whole from what an operator asked for and the topology: the chain (which must
 * exist), the ingress to send the probe to, and the flow with every default filled in. Refusals
 * are {@link IllegalArgumentException}s whose message starts with the field of a {@link TraceRequest} ({@code destination: ...}) and says why.
 *
 * @param expectedSpi the chain's forward SPI: a probe classified elsewhere is worth saying so
 */
public record TracePlan(String chain, int expectedSpi, boolean symmetric, HopAddress ingress, TraceFlow flow,
                        int protocolNumber) {

    /** The source of a probe when neither the operator nor the chain's rules say one: TEST-NET-1 (RFC 5737). */
    static final String DOCUMENTATION_SOURCE_V4 = "192.0.2.1";
    /** The same for IPv6 (RFC 3849). */
    static final String DOCUMENTATION_SOURCE_V6 = "2001:db8::1";

    /**
     * @param protocol {@code tcp}, {@code udp}, {@code icmp}, {@code icmpv6}, another name the rules
     *     know, or a number 0-255; null: ICMP echo (TCP when a destination port is given)
     * @param source null: an address of the first rule of the chain that could match, or a
     *     documentation address when the rules do not restrict the source
     * @param sourcePort null: a random ephemeral port (TCP and UDP)
     * @param destinationPort required for TCP and UDP
     */
    public static TracePlan of(Topology topology, String chain, String destination, String source, String protocol,
                               Integer sourcePort, Integer destinationPort) {
        if (chain == null || chain.isBlank()) {
            throw new Refused("chain", "is required");
        }
        ChainSpec spec = topology.chain(chain);
        if (spec == null) {
            throw new Refused("chain", "no chain named '" + chain + "' (have: "
                    + String.join(", ", topology.chains().stream().map(ChainSpec::name).toList()) + ")");
        }
        EndpointSpec ingress = topology.ingress();
        if (ingress == null || ingress.address() == null) {
            throw new Refused("chain", "the topology gives the ingress no address: a trace starts there");
        }
        Checked c = checkFlow(destination, source, protocol, sourcePort, destinationPort);
        int number = c.protocol().number();
        InetAddress from = c.source() != null ? c.source() : defaultSource(topology, chain, c.destination(), number);
        Integer sport = c.ports() ? (sourcePort != null ? sourcePort : ThreadLocalRandom.current().nextInt(49152, 65536)) : null;
        TraceFlow flow = new TraceFlow(c.protocol().label(), text(from), sport, text(c.destination()), c.ports() ? destinationPort : null);
        return new TracePlan(chain, spec.spi(), spec.isSymmetric(), ingress.address(), flow, number);
    }

    /** The flow's fields, checked. */
    private record Checked(InetAddress destination, InetAddress source, Protocol protocol, boolean ports) {}

    /**
     * The checks that need no topology (addresses, protocol, ports), so a client can refuse a bad
     * request before sending it anywhere; {@link #of} makes them too.
     *
     * @throws Refused naming the field
     */
    public static void check(String destination, String source, String protocol, Integer sourcePort, Integer destinationPort) {
        checkFlow(destination, source, protocol, sourcePort, destinationPort);
    }

    private static Checked checkFlow(String destination, String source, String protocol, Integer sourcePort, Integer destinationPort) {
        InetAddress to = literal("destination", destination);
        boolean v6 = to instanceof Inet6Address;
        Protocol p = protocol(protocol, destinationPort, v6);
        int number = p.number();
        boolean ports = number == ProbePacket.TCP || number == ProbePacket.UDP;
        if (ports && destinationPort == null) {
            throw new Refused("destinationPort", "is required for " + p.label());
        }
        if (!ports && (destinationPort != null || sourcePort != null)) {
            throw new Refused("destinationPort", "only TCP and UDP have ports, not " + p.label());
        }
        checkPort("destinationPort", destinationPort);
        checkPort("sourcePort", sourcePort);
        InetAddress from = source != null ? literal("source", source) : null;
        if (from != null && (from instanceof Inet6Address) != v6) {
            throw new Refused("source", text(from) + " is not of the IP version of the destination " + text(to));
        }
        return new Checked(to, from, p, ports);
    }

    private static Protocol protocol(String text, Integer destinationPort, boolean v6) {
        if (text == null || text.isBlank()) {
            return destinationPort != null ? Protocol.TCP : v6 ? Protocol.ICMPV6 : Protocol.ICMP;
        }
        Protocol p;
        try {
            p = Protocol.parse(text.trim());
        } catch (RuntimeException e) {
            throw new Refused("protocol", "" + e.getMessage());
        }
        if (p.number() < 0) {
            throw new Refused("protocol", "a probe is one packet of one protocol, not '" + text + "'");
        }
        if (p.number() == ProbePacket.ICMP && v6) {
            return Protocol.ICMPV6; // "icmp" to an IPv6 address means ICMPv6
        }
        return p;
    }

    /** An address as operators write it (RFC 5952: {@code 2001:db8::1}, not {@code 2001:db8:0:0:0:0:0:1}). */
    static String text(InetAddress address) {
        return NetUtil.toAddressString(address);
    }

    private static void checkPort(String option, Integer port) {
        if (port != null && (port < 1 || port > 65535)) {
            throw new Refused(option, "must be within 1-65535, was " + port);
        }
    }

    private static InetAddress literal(String option, String text) {
        if (text == null || text.isBlank()) {
            throw new Refused(option, "is required (an IPv4 or IPv6 address)");
        }
        try {
            return InetAddress.ofLiteral(text.trim());
        } catch (IllegalArgumentException e) {
            throw new Refused(option, "'" + text + "' is not an IPv4 or IPv6 address");
        }
    }

    /** The first address of the source prefix of the first rule of the chain that could match. */
    private static InetAddress defaultSource(Topology topology, String chain, InetAddress to, int protocol) {
        boolean v6 = to instanceof Inet6Address;
        for (RuleSpec r : topology.orderedRules()) {
            if (!chain.equals(r.chain()) || !r.protocol().matches(protocol)) {
                continue;
            }
            if (r.destination() != null && !r.destination().contains(to.getAddress())) {
                continue;
            }
            IpPrefix s = r.source();
            if (s != null && s.isIpv6() == v6 && s.length() > 0) {
                return firstHost(s);
            }
            if (s == null || s.length() == 0) {
                break;
            }
        }
        return InetAddress.ofLiteral(v6 ? DOCUMENTATION_SOURCE_V6 : DOCUMENTATION_SOURCE_V4);
    }

    private static InetAddress firstHost(IpPrefix prefix) {
        byte[] a = prefix.address().clone();
        int hostBits = a.length * 8 - prefix.length();
        if (hostBits >= 2) {
            a[a.length - 1] |= 1; // network address + 1: a host, not the network itself
        }
        try {
            return InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A request that cannot be traced: {@link #field()} is the {@link TraceRequest} field at fault. */
    public static final class Refused extends IllegalArgumentException {
        private final String field;

        Refused(String field, String problem) {
            super(field + ": " + problem);
            this.field = field;
        }

        public String field() {
            return field;
        }

        /** The message without the field in front. */
        public String problem() {
            return getMessage().substring(field.length() + 2);
        }
    }
}
