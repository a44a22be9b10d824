package io.astaire.dataplane.classify;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.model.ChainSpec;
import io.astaire.model.IpPrefix;
import io.astaire.model.PortRange;
import io.astaire.model.Protocol;
import io.astaire.model.RuleSpec;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.astaire.wire.FlowKey;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ClassifierTest {

    static final String TOPOLOGY = """
            functions:
              - {name: acl, kind: acl, address: 10.99.0.11:4790}
              - {name: count, kind: counter, address: 10.99.0.12:4790}
            chains:
              - {name: web, spi: 10, functions: [acl, count]}
              - {name: oneway, spi: 20, symmetric: false, functions: [count]}
              - {name: v6, spi: 30, functions: [acl]}
            rules:
              - {name: web-8080-first, priority: 200, protocol: tcp, destination: 10.2.0.0/24, destinationPorts: 8080, chain: oneway}
              - {name: web, priority: 100, protocol: tcp, destination: 10.2.0.0/24, destinationPorts: 1-65535, chain: web}
              - {name: dns-from-clients, priority: 100, protocol: udp, source: 10.1.0.0/16, destinationPorts: 53, chain: oneway}
              - {name: icmp, priority: 50, protocol: icmp, chain: web}
              - {name: v6-servers, priority: 10, destination: "2001:db8:2::/48", chain: v6}
            ingress: {address: 10.99.0.1:4790}
            egress: {address: 10.99.0.2:4790}
            """;

    private static int v4(String a) {
        return ByteBuffer.wrap(ip(a).getAddress()).getInt();
    }

    private static InetAddress ip(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (Exception e) {
            throw new IllegalArgumentException(a);
        }
    }

    private static FlowKey tcp4(String src, int sp, String dst, int dp) {
        return new FlowKey().ipv4(v4(src), v4(dst), 6, sp, dp);
    }

    private static FlowKey v6(String src, String dst, int proto, int sp, int dp) {
        ByteBuffer s = ByteBuffer.wrap(ip(src).getAddress());
        ByteBuffer d = ByteBuffer.wrap(ip(dst).getAddress());
        return new FlowKey().ipv6(s.getLong(0), s.getLong(8), d.getLong(0), d.getLong(8), proto, sp, dp);
    }

    @Test
    void firstMatchingRuleInPriorityOrderWins() {
        RuleTable t = RuleTable.forward(TopologyCodec.parse(TOPOLOGY));
        assertThat(t.classify(tcp4("10.1.0.2", 40000, "10.2.0.2", 8080))).isEqualTo(20); // priority 200 first
        assertThat(t.classify(tcp4("10.1.0.2", 40000, "10.2.0.2", 80))).isEqualTo(10);
        assertThat(t.classify(new FlowKey().ipv4(v4("10.1.3.4"), v4("8.8.8.8"), 17, 5555, 53))).isEqualTo(20);
        assertThat(t.classify(new FlowKey().ipv4(v4("10.9.3.4"), v4("8.8.8.8"), 17, 5555, 53))).as("source outside /16")
                .isEqualTo(RuleTable.NO_MATCH);
        assertThat(t.classify(new FlowKey().ipv4(v4("10.1.0.2"), v4("10.3.0.2"), 1, 77, 77))).as("icmp anywhere").isEqualTo(10);
        assertThat(t.classify(tcp4("10.1.0.2", 40000, "10.3.0.2", 80))).as("tcp elsewhere: no rule, no default")
                .isEqualTo(RuleTable.NO_MATCH);
        assertThat(t.classify(v6("2001:db8:1::2", "2001:db8:2::9", 6, 1, 443))).isEqualTo(30);
        assertThat(t.classify(v6("2001:db8:1::2", "2001:db8:3::9", 6, 1, 443))).isEqualTo(RuleTable.NO_MATCH);
        assertThat(t.ruleName(0)).isEqualTo("web-8080-first");
    }

    @Test
    void unmatchedTrafficFollowsTheDefaultChain() {
        Topology topo = TopologyCodec.parse(TOPOLOGY + "defaultChain: web\n");
        assertThat(RuleTable.forward(topo).classify(tcp4("10.1.0.2", 40000, "10.3.0.2", 80))).isEqualTo(10);
        assertThat(RuleTable.reverse(topo).classify(tcp4("10.3.0.2", 80, "10.1.0.2", 40000)))
                .as("the egress sends unmatched replies on the default chain's reverse path").isEqualTo(ChainSpec.reverseSpi(10));
        Topology oneWayDefault = TopologyCodec.parse(TOPOLOGY + "defaultChain: oneway\n");
        assertThat(RuleTable.reverse(oneWayDefault).defaultSpi()).isEqualTo(RuleTable.NO_MATCH);
    }

    @Test
    void egressClassifiesRepliesOfSymmetricChainsToTheReversePathOnly() {
        RuleTable t = RuleTable.reverse(TopologyCodec.parse(TOPOLOGY));
        // The reply of 10.1.0.2:40000 -> 10.2.0.2:80 comes from the server's port 80.
        assertThat(t.classify(tcp4("10.2.0.2", 80, "10.1.0.2", 40000))).isEqualTo(ChainSpec.reverseSpi(10));
        // 8080 belongs to the one-way chain: its reversed rule is absent, so the reply falls to
        // the next reversed rule that matches (web, symmetric: source 10.2.0.0/24, ports 1-65535).
        assertThat(t.classify(tcp4("10.2.0.2", 8080, "10.1.0.2", 40000))).isEqualTo(ChainSpec.reverseSpi(10));
        // DNS (one-way): replies are not classified.
        assertThat(t.classify(new FlowKey().ipv4(v4("8.8.8.8"), v4("10.1.3.4"), 17, 53, 5555))).isEqualTo(RuleTable.NO_MATCH);
        // A request-direction packet does not match a reversed rule.
        assertThat(t.classify(tcp4("10.1.0.2", 40000, "10.2.0.2", 80))).isEqualTo(RuleTable.NO_MATCH);
        assertThat(t.classify(v6("2001:db8:2::9", "2001:db8:1::2", 6, 443, 1))).isEqualTo(ChainSpec.reverseSpi(30));
    }

    @Test
    void cacheAnswersRepeatedFlowsWithoutScanningAndForgetsOnTableUpdate() {
        Topology topo = TopologyCodec.parse(TOPOLOGY);
        ClassifierTable table = new ClassifierTable(RuleTable.forward(topo));
        Classifier c = new Classifier(table, 1024);
        FlowKey flow = tcp4("10.1.0.2", 40000, "10.2.0.2", 80);
        for (int i = 0; i < 10; i++) {
            assertThat(c.classify(flow)).isEqualTo(10);
        }
        assertThat(c.misses()).isEqualTo(1);
        assertThat(c.hits()).isEqualTo(9);
        table.update(RuleTable.of(List.of(), List.of(), 20));
        assertThat(c.classify(flow)).as("new rules apply to cached flows at once").isEqualTo(20);
        assertThat(c.misses()).isEqualTo(2);
    }

    @Test
    void aRuleChangeUnderTrafficSwapsWholeTables() throws Exception {
        // A: everything in 10/8 to 1, else 100. B: 10.1/16 to 3 before 10/8 to 2, else 200. Any mix of
        // the two (B's rules with A's SPIs or default, a cached answer of A under B) gives another triple.
        RuleTable a = RuleTable.of(List.of(rule("ten", 10, "10.0.0.0/8")), List.of(1), 100);
        RuleTable b = RuleTable.of(List.of(rule("ten-one", 20, "10.1.0.0/16"), rule("ten", 10, "10.0.0.0/8")), List.of(3, 2), 200);
        FlowKey[] flows = {tcp4("1.1.1.1", 1000, "10.1.2.3", 80), tcp4("1.1.1.1", 1000, "10.9.9.9", 80), tcp4("1.1.1.1", 1000, "11.0.0.1", 80)};
        List<Integer> fromA = List.of(1, 1, 100);
        List<Integer> fromB = List.of(3, 2, 200);
        ClassifierTable table = new ClassifierTable(a);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread swapper = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) {
                table.update(i % 2 == 0 ? b : a);
                Thread.onSpinWait();
            }
        });
        swapper.start();
        Classifier worker = new Classifier(64);
        int seenA = 0;
        int seenB = 0;
        try {
            long until = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < until || seenA < 100 || seenB < 100) {
                RuleTable t = table.current(); // once per batch, as an edge worker reads its tables
                List<Integer> batch = new ArrayList<>();
                for (FlowKey f : flows) {
                    batch.add(worker.classify(t, f));
                }
                assertThat(batch).as("a batch is classified by one whole table").isIn(fromA, fromB);
                assertThat(batch).isEqualTo(t == a ? fromA : fromB);
                if (t == a) {
                    seenA++;
                } else {
                    seenB++;
                }
            }
        } finally {
            stop.set(true);
            swapper.join();
        }
        assertThat(worker.misses()).as("each swap seen empties the cache").isGreaterThan(200);
    }

    private static RuleSpec rule(String name, int priority, String destination) {
        return new RuleSpec(name, priority, Protocol.ANY, null, IpPrefix.parse(destination), null, null, "c");
    }

    @Test
    void aFloodOfNewFlowsBypassesTheCacheAndSteadyFlowsBringItBack() {
        RuleTable table = RuleTable.of(List.of(rule("ten", 10, "10.0.0.0/8")), List.of(1), 100);
        Classifier c = new Classifier(4096);
        FlowKey k = new FlowKey();
        int port = 0;
        for (int i = 0; i < 4 * Classifier.WINDOW; i++, port++) { // a new 5-tuple every packet
            assertThat(c.classify(table, k.ipv4(v4("1.1.1.1"), v4("10.0.0.1") + (port >>> 16), 6, port & 0xFFFF, 80))).isEqualTo(1);
        }
        assertThat(c.bypassingCache()).as("after whole windows of misses").isTrue();
        long hitsBefore = c.hits();
        long missesBefore = c.misses();
        for (int i = 0; i < Classifier.WINDOW; i++, port++) {
            c.classify(table, k.ipv4(v4("1.1.1.1"), v4("10.0.0.1") + (port >>> 16), 6, port & 0xFFFF, 80));
        }
        assertThat(c.misses() - missesBefore).as("every flood packet is still looked up in the rules").isEqualTo(Classifier.WINDOW);
        assertThat(c.hits()).isEqualTo(hitsBefore);

        // 64 steady flows: the sampled packets cache them, the sampled hit rate rises, the cache comes back
        int windows = 0;
        while (c.bypassingCache() && windows++ < 8) {
            for (int i = 0; i < Classifier.WINDOW; i++) {
                assertThat(c.classify(table, k.ipv4(v4("1.1.1.1"), v4("11.0.0.1"), 17, 5000 + (i & 63), 53))).isEqualTo(100);
            }
        }
        assertThat(c.bypassingCache()).as("steady flows for %d windows", windows).isFalse();
        long steadyMisses = c.misses();
        for (int i = 0; i < Classifier.WINDOW; i++) {
            c.classify(table, k.ipv4(v4("1.1.1.1"), v4("11.0.0.1"), 17, 5000 + (i & 63), 53));
        }
        assertThat(c.misses() - steadyMisses).as("a steady flow misses at most once (the first packet the sampling did not cache)").isLessThanOrEqualTo(64);
        long steadyHits = c.hits();
        for (int i = 0; i < Classifier.WINDOW; i++) {
            c.classify(table, k.ipv4(v4("1.1.1.1"), v4("11.0.0.1"), 17, 5000 + (i & 63), 53));
        }
        assertThat(c.hits() - steadyHits).as("then every steady packet is answered by the cache").isEqualTo(Classifier.WINDOW);
    }

    @Test
    void cacheStaysWithinItsCapacity() {
        FlowCache cache = new FlowCache(64);
        assertThat(cache.capacity()).isEqualTo(64);
        FlowKey k = new FlowKey();
        for (int i = 0; i < 10_000; i++) {
            cache.put(k.ipv4(i, 7, 6, i & 0xffff, 80), i);
        }
        int present = 0;
        for (int i = 0; i < 10_000; i++) {
            int v = cache.get(k.ipv4(i, 7, 6, i & 0xffff, 80));
            if (v != FlowCache.ABSENT) {
                assertThat(v).isEqualTo(i);
                present++;
            }
        }
        assertThat(present).isBetween(1, 64);
        cache.clear();
        assertThat(cache.get(k.ipv4(9_999, 7, 6, 9_999, 80))).isEqualTo(FlowCache.ABSENT);
    }

    /**
     * Seeded random property: for random rule sets and random flows (drawn near the rules'
     * prefixes and ports so that matches happen), (1) the compiled table gives what a naive
     * reading of the model's rules gives, and (2) the cached classifier, small enough to evict
     * constantly, gives what the table gives, packet after packet.
     */
    @Test
    void cachedAnswerEqualsRuleScanEqualsModelSemantics() {
        long seed = Long.getLong("classifier.seed", 0x5eed_c1a5L);
        Random random = new Random(seed);
        for (int round = 0; round < 40; round++) {
            List<RuleSpec> rules = randomRules(random, 1 + random.nextInt(25));
            List<Integer> spis = new ArrayList<>();
            for (int i = 0; i < rules.size(); i++) {
                spis.add(100 + i);
            }
            int defaultSpi = random.nextBoolean() ? RuleTable.NO_MATCH : 7;
            RuleTable table = RuleTable.of(rules, spis, defaultSpi);
            Classifier classifier = new Classifier(new ClassifierTable(table), 16 << random.nextInt(4));
            List<FlowKey> flows = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                flows.add(randomFlow(random, rules));
            }
            for (int p = 0; p < 3000; p++) {
                FlowKey flow = flows.get(random.nextInt(flows.size()));
                int oracle = oracle(rules, spis, defaultSpi, flow);
                assertThat(table.classify(flow)).as("seed %x round %d flow %s", seed, round, flow).isEqualTo(oracle);
                assertThat(classifier.classify(flow)).as("seed %x round %d flow %s (cached)", seed, round, flow).isEqualTo(oracle);
            }
            assertThat(classifier.hits()).isPositive();
        }
    }

    private static int oracle(List<RuleSpec> rules, List<Integer> spis, int defaultSpi, FlowKey f) {
        byte[] src = bytes(f.family(), f.sourceHigh(), f.sourceLow());
        byte[] dst = bytes(f.family(), f.destinationHigh(), f.destinationLow());
        for (int i = 0; i < rules.size(); i++) {
            RuleSpec r = rules.get(i);
            boolean ports = f.protocol() == 6 || f.protocol() == 17;
            if (r.protocol().matches(f.protocol())
                    && (r.source() == null || r.source().contains(src))
                    && (r.destination() == null || r.destination().contains(dst))
                    && (r.sourcePorts() == null || (ports && r.sourcePorts().contains(f.sourcePort())))
                    && (r.destinationPorts() == null || (ports && r.destinationPorts().contains(f.destinationPort())))) {
                return spis.get(i);
            }
        }
        return defaultSpi;
    }

    private static byte[] bytes(int family, long high, long low) {
        return family == 4 ? ByteBuffer.allocate(4).putInt((int) low).array()
                : ByteBuffer.allocate(16).putLong(high).putLong(low).array();
    }

    private static final Protocol[] PROTOCOLS = Protocol.named().toArray(new Protocol[0]);

    private static List<RuleSpec> randomRules(Random r, int n) {
        List<RuleSpec> rules = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean v6 = r.nextInt(4) == 0;
            Protocol proto = PROTOCOLS[r.nextInt(PROTOCOLS.length)];
            IpPrefix src = r.nextBoolean() ? randomPrefix(r, v6) : null;
            IpPrefix dst = r.nextBoolean() ? randomPrefix(r, v6) : null;
            PortRange sp = proto.hasPorts() && r.nextInt(3) == 0 ? randomRange(r) : null;
            PortRange dp = proto.hasPorts() && r.nextBoolean() ? randomRange(r) : null;
            rules.add(new RuleSpec("r" + i, 0, proto, src, dst, sp, dp, "c"));
        }
        return rules;
    }

    private static IpPrefix randomPrefix(Random r, boolean v6) {
        byte[] a = new byte[v6 ? 16 : 4];
        // A small address space (10.0-3.x.x / 2001:db8:0-3::) so that random flows hit prefixes.
        if (v6) {
            a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = (byte) 0xb8;
            a[5] = (byte) r.nextInt(4);
            a[15] = (byte) r.nextInt(8);
        } else {
            a[0] = 10;
            a[1] = (byte) r.nextInt(4);
            a[2] = (byte) r.nextInt(4);
            a[3] = (byte) r.nextInt(8);
        }
        int max = a.length * 8;
        int len = r.nextInt(5) == 0 ? max : r.nextInt(max + 1);
        return new IpPrefix(a, len);
    }

    private static PortRange randomRange(Random r) {
        int from = r.nextInt(100);
        return new PortRange(from, from + r.nextInt(60));
    }

    private static FlowKey randomFlow(Random r, List<RuleSpec> rules) {
        boolean v6 = r.nextInt(4) == 0;
        int proto = new int[] {1, 6, 17, 58, 47}[r.nextInt(5)];
        int sp = r.nextInt(160);
        int dp = r.nextInt(160);
        if (v6) {
            long high = 0x20010db8_00000000L | ((long) r.nextInt(4) << 16);
            return new FlowKey().ipv6(high, r.nextInt(8), high, r.nextInt(8), proto, sp, dp);
        }
        int src = (10 << 24) | (r.nextInt(4) << 16) | (r.nextInt(4) << 8) | r.nextInt(8);
        int dst = (10 << 24) | (r.nextInt(4) << 16) | (r.nextInt(4) << 8) | r.nextInt(8);
        return new FlowKey().ipv4(src, dst, proto, sp, dp);
    }
}
