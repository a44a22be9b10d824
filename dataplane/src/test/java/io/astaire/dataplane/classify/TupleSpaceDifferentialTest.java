package io.astaire.dataplane.classify;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.model.IpPrefix;
import io.astaire.model.PortRange;
import io.astaire.model.Protocol;
import io.astaire.model.RuleSpec;
import io.astaire.wire.FlowKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tuple space index and the rule-by-rule scan give the same first match for every flow of
 * seeded random rule sets: IPv4 and IPv6, nested prefixes from a few shared bases, port ranges,
 * equal priorities ordered by name, protocol any or a number, no rules at all, a default chain.
 * A failure names the seed, the flow and both answers.
 */
@Timeout(60)
class TupleSpaceDifferentialTest {

    private static final int[] PROTOCOLS = {-1, -1, 6, 6, 17, 1, 58, 47, 50, 132};
    private static final int DEFAULT_SPI = 999;

    @Test
    void indexAgreesWithTheScanOnRandomRuleSets() {
        for (long seed = 1; seed <= 60; seed++) {
            Random random = new Random(seed);
            int rules = seed % 10 == 0 ? 0 : 1 + random.nextInt(seed % 3 == 0 ? 2000 : 200);
            List<RuleSpec> specs = randomRules(random, rules);
            assertAgreement(seed, specs, random, seed % 2 == 0 ? DEFAULT_SPI : RuleTable.NO_MATCH);
            List<RuleSpec> reversed = specs.stream().map(RuleSpec::reversed).toList();
            assertAgreement(-seed, reversed, random, RuleTable.NO_MATCH);
        }
    }

    @Test
    void equalPrioritiesKeepTheirOrderAcrossTuples() {
        // same priority, different mask shapes: the earlier name wins even though its tuple is probed second
        List<RuleSpec> specs = ordered(List.of(
                rule("b-wide", 5, Protocol.ANY, "10.0.0.0/8", null, null, null),
                rule("a-narrow", 5, Protocol.TCP, "10.1.2.0/24", null, null, PortRange.of(80))));
        RuleTable table = RuleTable.of(specs, List.of(1, 2), RuleTable.NO_MATCH);
        FlowKey web = new FlowKey().ipv4(0x0A010203, 0x08080808, 6, 1234, 80);
        assertThat(table.ruleName(table.firstMatch(web))).isEqualTo("a-narrow");
        assertThat(table.firstMatch(web)).isEqualTo(table.scanFirstMatch(web));
        FlowKey other = new FlowKey().ipv4(0x0A010203, 0x08080808, 6, 1234, 81);
        assertThat(table.ruleName(table.firstMatch(other))).isEqualTo("b-wide");
    }

    @Test
    void portsNeverMatchAProtocolWithoutPortsAndRulesWithoutPrefixesMatchBothFamilies() {
        List<RuleSpec> specs = ordered(List.of(
                rule("any-port-80", 9, Protocol.ANY, null, null, null, PortRange.of(80)),
                rule("everything", 1, Protocol.ANY, null, null, null, null)));
        RuleTable table = RuleTable.of(specs, List.of(1, 2), RuleTable.NO_MATCH);
        assertThat(table.classify(new FlowKey().ipv4(1, 2, 6, 9, 80))).isEqualTo(1);
        assertThat(table.classify(new FlowKey().ipv4(1, 2, 1, 80, 80))).as("ICMP echo id 80 is no port").isEqualTo(2);
        assertThat(table.classify(new FlowKey().ipv6(1, 2, 3, 4, 17, 9, 80))).isEqualTo(1);
        assertThat(table.classify(new FlowKey().ipv6(1, 2, 3, 4, 47, 0, 0))).isEqualTo(2);
    }

    @Test
    void aLookupAllocatesNothing() {
        Random random = new Random(7);
        List<RuleSpec> specs = ordered(randomRules(random, 5000));
        List<Integer> spis = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            spis.add(1 + i);
        }
        RuleTable table = RuleTable.of(specs, spis, DEFAULT_SPI);
        FlowKey[] trace = new FlowKey[1024];
        for (int i = 0; i < trace.length; i++) {
            trace[i] = new FlowKey();
            flowInside(random, specs.get(random.nextInt(specs.size())), trace[i]);
        }
        int[] sink = new int[1];
        Runnable lookups = () -> {
            for (int n = 0; n < 200_000; n++) {
                sink[0] += table.classify(trace[n & (trace.length - 1)]);
            }
        };
        lookups.run(); // compiled before it is measured
        long bytes = io.astaire.dataplane.function.Allocations.bytesAllocatedBy(lookups);
        assertThat(bytes / 200_000.0).as("bytes per lookup (%d in all)", bytes).isLessThan(0.01);
    }

    @Test
    void theFlowCacheNeverAnswersAStaleOrWrongRuleUnderAFloodThatEvicts() {
        for (long seed = 1; seed <= 20; seed++) {
            Random random = new Random(seed);
            List<RuleSpec> a = ordered(randomRules(random, 1 + random.nextInt(500)));
            List<RuleSpec> b = ordered(randomRules(random, 1 + random.nextInt(500)));
            RuleTable first = RuleTable.of(a, spis(a.size()), DEFAULT_SPI);
            RuleTable second = RuleTable.of(b, spis(b.size()), RuleTable.NO_MATCH);
            // a pool of flows that come back (cached, then evicted by the flood), and new ones every packet
            FlowKey[] pool = new FlowKey[300];
            for (int i = 0; i < pool.length; i++) {
                pool[i] = new FlowKey();
                flowInside(random, (i % 2 == 0 ? a : b).get(random.nextInt(i % 2 == 0 ? a.size() : b.size())), pool[i]);
            }
            Classifier classifier = new Classifier(64);
            FlowKey fresh = new FlowKey();
            for (int n = 0; n < 20_000; n++) {
                RuleTable t = (n / 2500) % 2 == 0 ? first : second; // the rules change under the traffic
                FlowKey flow = pool[random.nextInt(pool.length)];
                if (random.nextInt(3) == 0) {
                    randomFlow(random, fresh);
                    flow = fresh;
                }
                int rule = classifier.match(t, flow);
                assertThat(rule).as("seed %d, packet %d, flow %s", seed, n, flow).isEqualTo(t.scanFirstMatch(flow));
                assertThat(classifier.classify(t, flow)).isEqualTo(t.spiOf(rule));
            }
            assertThat(classifier.hits()).as("seed %d: the pool's flows were cached at times", seed).isPositive();
            assertThat(classifier.misses()).as("seed %d: the flood missed", seed).isGreaterThan(5000);
        }
    }

    @Test
    void aNewFlowEveryPacketAllocatesNothingAndIsCounted() {
        Random random = new Random(11);
        List<RuleSpec> specs = ordered(randomRules(random, 5000));
        RuleTable table = RuleTable.of(specs, spis(specs.size()), DEFAULT_SPI);
        RuleHits hits = new RuleHits(table, 2, 1);
        Classifier classifier = new Classifier(1024);
        FlowKey[] trace = new FlowKey[1 << 14];
        for (int i = 0; i < trace.length; i++) {
            trace[i] = new FlowKey();
            randomFlow(random, trace[i]);
            if (i % 2 == 0) {
                flowInside(random, specs.get(random.nextInt(specs.size())), trace[i]);
            }
        }
        Runnable flood = () -> {
            for (int n = 0; n < 200_000; n++) {
                hits.add(1, classifier.match(table, trace[n & (trace.length - 1)]), 1);
            }
        };
        flood.run();
        long bytes = io.astaire.dataplane.function.Allocations.bytesAllocatedBy(flood);
        assertThat(bytes / 200_000.0).as("bytes per packet (%d in all)", bytes).isLessThan(0.01);
        long counted = hits.get(-1);
        for (int i = 0; i < table.size(); i++) {
            counted += hits.get(i);
        }
        assertThat(counted).isEqualTo(400_000);
        assertThat(classifier.misses()).as("16 Ki flows through a 1 Ki cache: nearly every packet is new").isGreaterThan(350_000);
    }

    @Test
    void theMemoryBoundsBracketTheRealSize() {
        for (long seed = 1; seed <= 30; seed++) {
            Random random = new Random(seed);
            int rules = seed % 10 == 0 ? 0 : 1 + random.nextInt(3000);
            List<RuleSpec> specs = ordered(randomRules(random, rules));
            RuleTable table = RuleTable.of(specs, spis(specs.size()), DEFAULT_SPI);
            assertThat(table.memoryBytes()).as("seed %d, %d rules, %d tuples", seed, rules, table.tupleCount())
                    .isBetween(ClassifierLimit.lowerBound(rules), ClassifierLimit.upperBound(rules));
        }
    }

    private static List<Integer> spis(int n) {
        List<Integer> spis = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            spis.add(1 + i);
        }
        return spis;
    }

    private static void assertAgreement(long seed, List<RuleSpec> specs, Random random, int defaultSpi) {
        List<RuleSpec> ordered = ordered(specs);
        List<Integer> spis = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i++) {
            spis.add(1 + i);
        }
        RuleTable table = RuleTable.of(ordered, spis, defaultSpi);
        FlowKey flow = new FlowKey();
        int matched = 0;
        for (int n = 0; n < 4000; n++) {
            if (ordered.isEmpty() || random.nextInt(4) == 0) {
                randomFlow(random, flow);
            } else {
                flowInside(random, ordered.get(random.nextInt(ordered.size())), flow);
            }
            int expected = table.scanFirstMatch(flow);
            int actual = table.firstMatch(flow);
            assertThat(actual).as("seed %d, %d rules, flow %s", seed, ordered.size(), flow).isEqualTo(expected);
            assertThat(table.classify(flow)).isEqualTo(expected >= 0 ? spis.get(expected) : defaultSpi);
            matched += expected >= 0 ? 1 : 0;
        }
        if (!ordered.isEmpty()) {
            assertThat(matched).as("seed %d: the trace must hit rules, or it proves little", seed).isGreaterThan(1000);
        }
    }

    /** Topology's order: descending priority, then name. */
    private static List<RuleSpec> ordered(List<RuleSpec> rules) {
        List<RuleSpec> sorted = new ArrayList<>(rules);
        sorted.sort(Comparator.comparing((RuleSpec r) -> -r.priority()).thenComparing(RuleSpec::name));
        return sorted;
    }

    private static List<RuleSpec> randomRules(Random random, int count) {
        // a few bases per family, so prefixes nest and overlap
        byte[][] bases4 = new byte[6][];
        byte[][] bases6 = new byte[4][];
        for (int i = 0; i < bases4.length; i++) {
            bases4[i] = bytes(random, 4);
        }
        for (int i = 0; i < bases6.length; i++) {
            bases6[i] = bytes(random, 16);
        }
        List<RuleSpec> rules = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int kind = random.nextInt(10); // 0-5 IPv4, 6-8 IPv6, 9 no prefix
            IpPrefix src = null;
            IpPrefix dst = null;
            if (kind < 9) {
                byte[][] bases = kind < 6 ? bases4 : bases6;
                int bits = kind < 6 ? 32 : 128;
                src = random.nextInt(4) == 0 ? null : prefix(random, bases, bits);
                dst = random.nextInt(4) == 0 && src != null ? null : prefix(random, bases, bits);
            }
            int proto = PROTOCOLS[random.nextInt(PROTOCOLS.length)];
            rules.add(rule("r" + random.nextInt(count * 2 + 1), random.nextInt(8), protocol(proto), src, dst,
                    ports(random), ports(random)));
        }
        return rules;
    }

    private static Protocol protocol(int number) {
        return switch (number) {
            case -1 -> Protocol.ANY;
            case 6 -> Protocol.TCP;
            case 17 -> Protocol.UDP;
            case 1 -> Protocol.ICMP;
            case 58 -> Protocol.ICMPV6;
            default -> Protocol.parse(Integer.toString(number));
        };
    }

    private static IpPrefix prefix(Random random, byte[][] bases, int bits) {
        byte[] a = bases[random.nextInt(bases.length)].clone();
        int length = random.nextInt(3) == 0 ? bits : random.nextInt(bits + 1);
        // vary the bits just past a short shared start, so prefixes differ below the base
        for (int b = Math.min(bits, 8 + random.nextInt(bits / 2)); b < bits; b++) {
            if (random.nextInt(6) == 0) {
                a[b / 8] ^= (byte) (0x80 >>> (b % 8));
            }
        }
        return new IpPrefix(a, length);
    }

    private static PortRange ports(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> PortRange.of(random.nextInt(1024));
            case 1 -> new PortRange(1024, 65535);
            case 2 -> new PortRange(0, 1023);
            case 3 -> {
                int from = random.nextInt(65536);
                yield new PortRange(from, from + random.nextInt(65536 - from));
            }
            default -> null;
        };
    }

    private static void flowInside(Random random, RuleSpec rule, FlowKey flow) {
        IpPrefix any = rule.source() != null ? rule.source() : rule.destination();
        boolean v6 = any != null ? any.isIpv6() : random.nextBoolean();
        long[] s = inside(random, rule.source(), v6);
        long[] d = inside(random, rule.destination(), v6);
        int proto = rule.protocol().number() >= 0 ? rule.protocol().number() : PROTOCOLS[2 + random.nextInt(8)];
        int sp = rule.sourcePorts() == null ? random.nextInt(65536) : pick(random, rule.sourcePorts());
        int dp = rule.destinationPorts() == null ? random.nextInt(65536) : pick(random, rule.destinationPorts());
        set(flow, v6, s, d, proto, sp, dp);
    }

    private static void randomFlow(Random random, FlowKey flow) {
        boolean v6 = random.nextBoolean();
        set(flow, v6, inside(random, null, v6), inside(random, null, v6), PROTOCOLS[2 + random.nextInt(8)],
                random.nextInt(65536), random.nextInt(65536));
    }

    private static void set(FlowKey flow, boolean v6, long[] s, long[] d, int proto, int sp, int dp) {
        if (v6) {
            flow.ipv6(s[0], s[1], d[0], d[1], proto, sp, dp);
        } else {
            flow.ipv4((int) s[1], (int) d[1], proto, sp, dp);
        }
    }

    /** A random address inside {@code p} (anywhere when null) as {high, low}. */
    private static long[] inside(Random random, IpPrefix p, boolean v6) {
        long high = v6 ? random.nextLong() : 0;
        long low = v6 ? random.nextLong() : random.nextLong() & 0xFFFF_FFFFL;
        if (p == null) {
            return new long[] {high, low};
        }
        byte[] a = p.address();
        long[] mask = RuleTable.mask(v6, p.length());
        long ph = 0;
        long pl = 0;
        if (v6) {
            for (int i = 0; i < 8; i++) {
                ph = ph << 8 | a[i] & 0xffL;
                pl = pl << 8 | a[i + 8] & 0xffL;
            }
        } else {
            pl = (a[0] & 0xffL) << 24 | (a[1] & 0xffL) << 16 | (a[2] & 0xffL) << 8 | a[3] & 0xffL;
        }
        return new long[] {ph | high & ~mask[0], pl | low & ~mask[1] & (v6 ? -1L : 0xFFFF_FFFFL)};
    }

    private static int pick(Random random, PortRange r) {
        return r.from() + random.nextInt(r.to() - r.from() + 1);
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static RuleSpec rule(String name, int priority, Protocol protocol, Object src, Object dst,
                                 PortRange srcPorts, PortRange dstPorts) {
        return new RuleSpec(name, priority, protocol, src == null ? null : src instanceof IpPrefix p ? p : IpPrefix.parse((String) src),
                dst == null ? null : dst instanceof IpPrefix p ? p : IpPrefix.parse((String) dst), srcPorts, dstPorts, "c");
    }
}
