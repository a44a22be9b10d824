package io.astaire.dataplane.function.builtin;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.astaire.function.FunctionConfig;
import io.astaire.function.PacketContext;
import io.astaire.function.ServiceFunction;
import io.astaire.function.Verdict;
import io.astaire.model.IpPrefix;
import io.astaire.model.PortRange;
import io.astaire.model.Protocol;
import io.astaire.wire.InnerPacket;
import io.micrometer.core.instrument.Tags;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * A stateless firewall: allow/deny rules on protocol, source/destination prefix and
 * source/destination port range, tried in order; the first match decides, else the default.
 *
 * <pre>
 * config:
 *   default: allow            # allow | deny, when no rule matches (default: allow)
 *   rules:
 *     - name: no-telnet       # optional; the metric's rule tag (default: rule-&lt;index&gt;)
 *       action: deny          # allow | deny (required)
 *       protocol: tcp         # any | tcp | udp | icmp | icmpv6 (default: any)
 *       source: 10.0.0.0/8    # IPv4 or IPv6 prefix (default: any address of either family)
 *       destination: 10.20.0.5
 *       sourcePorts: 1024-65535     # TCP/UDP only; a rule with ports never matches other protocols
 *       destinationPorts: 23
 * </pre>
 *
 * Metric: {@code astaire_acl_hits_total{function, rule, action}} (rule {@code default} for the default).
 */
public final class AclFunction implements ServiceFunction {
    public static final String KIND = "acl";

    /** What a rule does to the packets it matches. */
    public enum Action { ALLOW, DENY }

    /** One rule as written in the topology. */
    public record RuleConfig(String name, Action action, Protocol protocol, IpPrefix source, IpPrefix destination,
                             PortRange sourcePorts, PortRange destinationPorts) {}

    /** The function's config as written in the topology. */
    public record Config(@JsonProperty("default") Action defaultAction, List<RuleConfig> rules) {}

    private Rule[] rules = new Rule[0];
    private Verdict defaultVerdict = Verdict.FORWARD;
    /** What a trace shows for a packet no rule matched ({@link PacketContext#explain}). */
    private String defaultExplanation = "default allow";
    private final LongAdder defaultHits = new LongAdder();
    private MeterSet metrics;

    @Override
    public void configure(FunctionConfig config) {
        Config c = config.bind(Config.class);
        defaultVerdict = verdict(c.defaultAction() == null ? Action.ALLOW : c.defaultAction());
        defaultExplanation = defaultVerdict == Verdict.FORWARD ? "default allow" : "default deny";
        List<RuleConfig> given = c.rules() == null ? List.of() : c.rules();
        Rule[] compiled = new Rule[given.size()];
        Set<String> names = new HashSet<>();
        for (int i = 0; i < compiled.length; i++) {
            RuleConfig r = given.get(i);
            String at = "rules[" + i + "]";
            if (r == null) {
                throw config.invalid(at, "is empty");
            }
            if (r.action() == null) {
                throw config.invalid(at + ".action", "is required (allow|deny)");
            }
            String name = r.name() == null || r.name().isBlank() ? "rule-" + i : r.name();
            if (!names.add(name)) {
                throw config.invalid(at + ".name", "'" + name + "' is used by an earlier rule");
            }
            if (r.source() != null && r.destination() != null && r.source().isIpv6() != r.destination().isIpv6()) {
                throw config.invalid(at + ".destination", "is " + family(r.destination()) + " but source is " + family(r.source()));
            }
            Protocol protocol = r.protocol() == null ? Protocol.ANY : r.protocol();
            boolean ports = r.sourcePorts() != null || r.destinationPorts() != null;
            if (ports && protocol != Protocol.ANY && !protocol.hasPorts()) {
                throw config.invalid(at + (r.sourcePorts() != null ? ".sourcePorts" : ".destinationPorts"),
                        "ports only apply to tcp and udp, not " + protocol.label());
            }
            compiled[i] = new Rule(name, verdict(r.action()), protocol.number(),
                    AddressMatch.of(r.source()), AddressMatch.of(r.destination()), r.sourcePorts(), r.destinationPorts());
        }
        // Only once the whole config is valid: a refused reconfiguration leaves the running
        // instance's meters alone.
        metrics = new MeterSet(config.meters(), config.tags());
        for (Rule rule : compiled) {
            metrics.counter("astaire.acl.hits", "Packets decided by an ACL rule", null,
                    Tags.of("rule", rule.name, "action", rule.verdict == Verdict.FORWARD ? "allow" : "deny"), rule.hits, LongAdder::sum);
        }
        metrics.counter("astaire.acl.hits", "Packets decided by an ACL rule", null,
                Tags.of("rule", "default", "action", defaultVerdict == Verdict.FORWARD ? "allow" : "deny"), defaultHits, LongAdder::sum);
        rules = compiled;
    }

    private static String family(IpPrefix p) {
        return p.isIpv6() ? "IPv6" : "IPv4";
    }

    private static Verdict verdict(Action action) {
        return action == Action.ALLOW ? Verdict.FORWARD : Verdict.DROP;
    }

    @Override
    public Verdict process(PacketContext packet) {
        InnerPacket ip = packet.inner();
        for (Rule rule : rules) {
            if (rule.matches(ip)) {
                rule.hits.increment();
                packet.explain(rule.explanation);
                return rule.verdict;
            }
        }
        defaultHits.increment();
        packet.explain(defaultExplanation);
        return defaultVerdict;
    }

    @Override
    public void stop() {
        if (metrics != null) {
            metrics.close();
        }
    }

    /** A compiled rule: every field reduced to integer compares over the inner packet's view. */
    private static final class Rule {
        final String name;
        /** "rule NAME", built once: what a trace shows for a packet this rule decided. */
        final String explanation;
        final Verdict verdict;
        final int protocol; // -1: any
        final AddressMatch source;
        final AddressMatch destination;
        final boolean ports;
        final int sourceFrom, sourceTo, destinationFrom, destinationTo;
        final LongAdder hits = new LongAdder();

        Rule(String name, Verdict verdict, int protocol, AddressMatch source, AddressMatch destination,
             PortRange sourcePorts, PortRange destinationPorts) {
            this.name = name;
            this.explanation = "rule " + name;
            this.verdict = verdict;
            this.protocol = protocol;
            this.source = source;
            this.destination = destination;
            this.ports = sourcePorts != null || destinationPorts != null;
            PortRange sp = sourcePorts == null ? PortRange.ANY : sourcePorts;
            PortRange dp = destinationPorts == null ? PortRange.ANY : destinationPorts;
            sourceFrom = sp.from();
            sourceTo = sp.to();
            destinationFrom = dp.from();
            destinationTo = dp.to();
        }

        boolean matches(InnerPacket ip) {
            int proto = ip.protocol();
            if (protocol >= 0 && proto != protocol) {
                return false;
            }
            if (!source.matchesSource(ip) || !destination.matchesDestination(ip)) {
                return false;
            }
            if (ports) {
                if (proto != 6 && proto != 17) {
                    return false;
                }
                int s = ip.sourcePort();
                int d = ip.destinationPort();
                return s >= sourceFrom && s <= sourceTo && d >= destinationFrom && d <= destinationTo;
            }
            return true;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** A prefix as masks over the view's integer addresses: no byte arrays on the packet path. */
    private static final class AddressMatch {
        static final AddressMatch ANY = new AddressMatch(0, 0, 0, 0, 0, 0, 0);

        final int family; // 0 any, 4, 6
        final int v4, v4Mask;
        final long high, highMask, low, lowMask;

        private AddressMatch(int family, int v4, int v4Mask, long high, long highMask, long low, long lowMask) {
            this.family = family;
            this.v4 = v4;
            this.v4Mask = v4Mask;
            this.high = high;
            this.highMask = highMask;
            this.low = low;
            this.lowMask = lowMask;
        }

        static AddressMatch of(IpPrefix prefix) {
            if (prefix == null) {
                return ANY;
            }
            byte[] a = prefix.address();
            int len = prefix.length();
            if (!prefix.isIpv6()) {
                int mask = len == 0 ? 0 : -1 << (32 - len);
                return new AddressMatch(4, readInt(a, 0) & mask, mask, 0, 0, 0, 0);
            }
            long hm = len == 0 ? 0 : len >= 64 ? -1L : -1L << (64 - len);
            long lm = len <= 64 ? 0 : len == 128 ? -1L : -1L << (128 - len);
            return new AddressMatch(6, 0, 0, readLong(a, 0) & hm, hm, readLong(a, 8) & lm, lm);
        }

        private static int readInt(byte[] a, int at) {
            return (a[at] & 0xff) << 24 | (a[at + 1] & 0xff) << 16 | (a[at + 2] & 0xff) << 8 | (a[at + 3] & 0xff);
        }

        private static long readLong(byte[] a, int at) {
            return (long) readInt(a, at) << 32 | (readInt(a, at + 4) & 0xffffffffL);
        }

        boolean matchesSource(InnerPacket ip) {
            return switch (family) {
                case 4 -> ip.version() == 4 && (ip.ipv4Source() & v4Mask) == v4;
                case 6 -> ip.version() == 6 && (ip.ipv6SourceHigh() & highMask) == high && (ip.ipv6SourceLow() & lowMask) == low;
                default -> true;
            };
        }

        boolean matchesDestination(InnerPacket ip) {
            return switch (family) {
                case 4 -> ip.version() == 4 && (ip.ipv4Destination() & v4Mask) == v4;
                case 6 -> ip.version() == 6 && (ip.ipv6DestinationHigh() & highMask) == high
                        && (ip.ipv6DestinationLow() & lowMask) == low;
                default -> true;
            };
        }
    }
}
