package io.astaire.bench;

import io.astaire.model.IpPrefix;
import io.astaire.model.PortRange;
import io.astaire.model.Protocol;
import io.astaire.model.RuleSpec;
import io.astaire.wire.FlowKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded rule sets with the structure of the published packet-classification benchmarks
 * (ClassBench's ACL, firewall and IP-chain seeds), written from their described shape, not their
 * data: per-shape distributions of source and destination prefix length (a few peaks over a tail
 * across every length), addresses drawn under a small set of shared networks so prefixes nest and
 * overlap, port classes wildcard / high (1024–65535) / low (0–1023) / arbitrary range / exact, and
 * a protocol mix with protocols beyond TCP and UDP. Plus traces whose flows fall inside the rules.
 */
public final class RuleSets {

    /** The three families of published seeds. */
    public enum Shape {
        // source length peaks, destination length peaks: {length, weight} pairs; the rest of the
        // weight (to 100) spreads over every length 8-32
        ACL(new int[][] {{0, 10}, {16, 5}, {24, 20}, {32, 35}}, new int[][] {{0, 5}, {24, 15}, {32, 60}},
                new int[] {90, 8, 0, 2, 0}, new int[] {25, 5, 5, 10, 55}, new int[] {60, 25, 5, 5, 5}),
        FIREWALL(new int[][] {{0, 40}, {8, 5}, {16, 10}, {24, 10}, {32, 15}}, new int[][] {{0, 30}, {24, 10}, {32, 40}},
                new int[] {70, 20, 0, 10, 0}, new int[] {35, 10, 5, 15, 35}, new int[] {45, 25, 5, 15, 10}),
        IP_CHAIN(new int[][] {{0, 20}, {16, 10}, {24, 25}, {32, 25}}, new int[][] {{0, 25}, {16, 10}, {24, 20}, {32, 25}},
                new int[] {80, 10, 5, 5, 0}, new int[] {45, 10, 10, 10, 25}, new int[] {40, 30, 10, 15, 5});

        final int[][] sourceLengths;
        final int[][] destinationLengths;
        /** Weights of the port classes wildcard, high, low, range, exact. */
        final int[] sourcePorts;
        final int[] destinationPorts;
        /** Weights of tcp, udp, any, icmp, another protocol (gre, esp, sctp, ...). */
        final int[] protocols;

        Shape(int[][] sourceLengths, int[][] destinationLengths, int[] sourcePorts, int[] destinationPorts, int[] protocols) {
            this.sourceLengths = sourceLengths;
            this.destinationLengths = destinationLengths;
            this.sourcePorts = sourcePorts;
            this.destinationPorts = destinationPorts;
            this.protocols = protocols;
        }
    }

    private static final int[] OTHER_PROTOCOLS = {47, 50, 51, 132, 89};
    private static final int NETWORKS = 256;

    private RuleSets() {}

    /** {@code count} IPv4 rules of {@code shape}, in table order (priority descending, some equal). */
    public static List<RuleSpec> generate(Shape shape, int count, long seed) {
        Random random = new Random(seed);
        int[] networks = new int[NETWORKS];
        for (int i = 0; i < networks.length; i++) {
            networks[i] = random.nextInt() & 0xFFFF0000;
        }
        List<RuleSpec> rules = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Protocol protocol = protocol(random, shape.protocols);
            boolean ports = protocol.hasPorts();
            int srcLength = length(random, shape.sourceLengths);
            int dstLength = length(random, shape.destinationLengths);
            if (srcLength == 0 && dstLength == 0) {
                dstLength = 16 + random.nextInt(17); // an address-wildcard rule early on would shadow most of the set
            }
            rules.add(new RuleSpec(String.format("r%07d", i), count - i - (i % 7 == 0 ? 0 : 1), protocol,
                    prefix(random, networks, srcLength), prefix(random, networks, dstLength),
                    ports ? ports(random, shape.sourcePorts) : null, ports ? ports(random, shape.destinationPorts) : null,
                    "c"));
        }
        return rules;
    }

    /** {@code count} flows: most inside a random rule's fields, one in ten anywhere. */
    public static FlowKey[] trace(List<RuleSpec> rules, int count, long seed) {
        Random random = new Random(seed);
        FlowKey[] flows = new FlowKey[count];
        for (int i = 0; i < count; i++) {
            RuleSpec r = rules.get(random.nextInt(rules.size()));
            boolean anywhere = random.nextInt(10) == 0;
            int proto = r.protocol().number() >= 0 && !anywhere ? r.protocol().number() : random.nextBoolean() ? 6 : 17;
            flows[i] = new FlowKey().ipv4(inside(random, anywhere ? null : r.source()),
                    inside(random, anywhere ? null : r.destination()), proto,
                    port(random, anywhere ? null : r.sourcePorts()), port(random, anywhere ? null : r.destinationPorts()));
        }
        return flows;
    }

    private static int length(Random random, int[][] peaks) {
        int roll = random.nextInt(100);
        for (int[] peak : peaks) {
            if ((roll -= peak[1]) < 0) {
                return peak[0];
            }
        }
        return 8 + random.nextInt(25);
    }

    private static IpPrefix prefix(Random random, int[] networks, int length) {
        if (length == 0) {
            return null;
        }
        int address = networks[random.nextInt(networks.length)] | (random.nextInt() & 0xFFFF);
        if (random.nextInt(4) == 0) {
            address = random.nextInt(); // outside the shared networks
        }
        return new IpPrefix(new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address}, length);
    }

    private static Protocol protocol(Random random, int[] weights) {
        return switch (pick(random, weights)) {
            case 0 -> Protocol.TCP;
            case 1 -> Protocol.UDP;
            case 2 -> Protocol.ANY;
            case 3 -> Protocol.ICMP;
            default -> Protocol.of(OTHER_PROTOCOLS[random.nextInt(OTHER_PROTOCOLS.length)]);
        };
    }

    private static PortRange ports(Random random, int[] weights) {
        return switch (pick(random, weights)) {
            case 0 -> null;
            case 1 -> new PortRange(1024, 65535);
            case 2 -> new PortRange(0, 1023);
            case 3 -> {
                int from = random.nextInt(60000);
                yield new PortRange(from, from + random.nextInt(5000));
            }
            default -> PortRange.of(random.nextInt(10) < 7 ? random.nextInt(1024) : random.nextInt(65536));
        };
    }

    private static int pick(Random random, int[] weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int roll = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            if ((roll -= weights[i]) < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    private static int inside(Random random, IpPrefix p) {
        int any = random.nextInt();
        if (p == null) {
            return any;
        }
        byte[] a = p.address();
        int address = (a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | a[3] & 0xff;
        int hostMask = p.length() == 32 ? 0 : -1 >>> p.length();
        return address | any & hostMask;
    }

    private static int port(Random random, PortRange r) {
        return r == null ? random.nextInt(65536) : r.from() + random.nextInt(r.to() - r.from() + 1);
    }
}
