package io.astaire.dataplane.forward;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.dataplane.resolve.ResolvedHop;
import io.astaire.model.ChainSpec;
import io.astaire.model.HopAddress;
import io.astaire.model.ServicePath;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ForwardingTableTest {

    static final Topology TOPOLOGY = TopologyCodec.parse("""
            functions:
              - {name: a, kind: passthrough, address: "127.0.0.1:5001"}
              - {name: b, kind: passthrough, address: "127.0.0.1:5002"}
              - {name: c, kind: passthrough, address: "127.0.0.1:5003"}
            chains:
              - {name: web, spi: 10, functions: [a, b, c]}
              - {name: oneway, spi: 11, symmetric: false, functions: [c, a]}
            ingress: {address: "127.0.0.1:4790"}
            egress: {address: "127.0.0.1:4794"}
            """);
    static final int REVERSE = ChainSpec.reverseSpi(10);

    private final Map<HopAddress, ResolvedHop> hops = new HashMap<>();

    private ResolvedHop hop(HopAddress a) {
        return hops.computeIfAbsent(a, ResolvedHop::new);
    }

    private ForwardingTable<String> tableFor(String... local) {
        Map<String, String> fs = new HashMap<>();
        for (String l : local) {
            fs.put(l, "fn-" + l);
        }
        return ForwardingTable.builder(String[]::new).localFunctions(fs).hops(this::hop).build(1, TOPOLOGY);
    }

    @Test
    void aMiddleFunctionForwardsToTheNextHopOfEachDirection() {
        ForwardingTable<String> t = tableFor("b");
        Route<String> fwd = t.route(10, 254);
        assertThat(fwd.functions()).containsExactly("fn-b");
        assertThat(fwd.next().name()).isEqualTo(HopAddress.parse("127.0.0.1:5003"));
        assertThat(fwd.terminal()).isFalse();
        // reverse path: c, b, a, ingress — b is due at SI 254 too, and sends to a
        Route<String> rev = t.route(REVERSE, 254);
        assertThat(rev.functions()).containsExactly("fn-b");
        assertThat(rev.next().name()).isEqualTo(HopAddress.parse("127.0.0.1:5001"));
        // not ours
        assertThat(t.route(10, 255)).isNull();
        assertThat(t.route(10, 253)).isNull();
        assertThat(t.route(99, 254)).isNull();
    }

    @Test
    void consecutiveLocalFunctionsAreAppliedInOnePass() {
        ForwardingTable<String> t = tableFor("a", "b");
        Route<String> r = t.route(10, 255);
        assertThat(r.functions()).containsExactly("fn-a", "fn-b");
        assertThat(r.next().name().port()).isEqualTo(5003);
        // a packet sent straight to b's hop still works
        assertThat(t.route(10, 254).functions()).containsExactly("fn-b");
        // reverse: c, b, a → b and a run together, then the ingress
        Route<String> rev = t.route(REVERSE, 254);
        assertThat(rev.functions()).containsExactly("fn-b", "fn-a");
        assertThat(rev.next().name().port()).isEqualTo(4790);
        // the last function of a path forwards to the egress
        ForwardingTable<String> last = tableFor("c");
        assertThat(last.route(10, 253).next().name().port()).isEqualTo(4794);
        // on the one-way chain c is first and a second: not consecutive in b's sense, both local to "a,c"
        ForwardingTable<String> ac = tableFor("a", "c");
        assertThat(ac.route(11, 255).functions()).containsExactly("fn-c", "fn-a");
        assertThat(ac.route(11, 255).next().name().port()).isEqualTo(4794);
        assertThat(ac.route(10, 255).functions()).containsExactly("fn-a");
    }

    @Test
    void anIngressOriginatesForwardPathsAndTerminatesReverseOnes() {
        ForwardingTable<Void> t = ForwardingTable.<Void>builder(Void[]::new)
                .originate(p -> !p.reverse()).terminate(ServicePath::reverse).hops(this::hop).build(3, TOPOLOGY);
        assertThat(t.route(10, 255).functionCount()).isZero();
        assertThat(t.route(10, 255).next().name().port()).isEqualTo(5001);
        assertThat(t.route(11, 255).next().name().port()).isEqualTo(5003);
        assertThat(t.route(REVERSE, 252).terminal()).isTrue();
        assertThat(t.route(REVERSE, 255)).isNull();
        assertThat(t.route(10, 252)).as("forward paths end at the egress, not here").isNull();
        assertThat(t.version()).isEqualTo(3);
        assertThat(t.nextHops()).extracting(h -> h.name().port()).containsExactlyInAnyOrder(5001, 5003);
    }

    @Test
    void aFixedTableSendsEverythingThroughItsFunctionsToOneHop() {
        ResolvedHop next = hop(HopAddress.parse("127.0.0.1:6000"));
        ForwardingTable<String> t = ForwardingTable.fixed(new String[] {"x", "y"}, new String[] {"x", "y"}, next);
        assertThat(t.route(1, 255).functions()).containsExactly("x", "y");
        assertThat(t.route(12345, 3).next()).isSameAs(next);
        assertThat(t.isStatic()).isTrue();
    }

    @Test
    void sameNameGivesTheSameResolvedHopSoReplicaStateIsShared() {
        ForwardingTable<String> t1 = tableFor("a");
        ForwardingTable<String> t2 = tableFor("c");
        // a forwards to b; c, on the reverse path, forwards to b too
        assertThat(t1.route(10, 255).next()).isSameAs(t2.route(REVERSE, 255).next());
    }

    @Test
    void intObjectMapAgreesWithHashMapOnSeededRandomKeys() {
        for (long seed = 1; seed <= 20; seed++) {
            Random random = new Random(seed);
            int n = 1 + random.nextInt(500);
            IntObjectMap<Integer> map = new IntObjectMap<>(n);
            Map<Integer, Integer> reference = new HashMap<>();
            for (int i = 0; i < n; i++) {
                int key = random.nextBoolean() ? random.nextInt() : random.nextInt(64) << 8;
                map.put(key, i);
                reference.put(key, i);
            }
            for (var e : reference.entrySet()) {
                assertThat(map.get(e.getKey())).isEqualTo(e.getValue());
            }
            for (int i = 0; i < 1000; i++) {
                int probe = random.nextInt();
                assertThat(map.get(probe)).isEqualTo(reference.get(probe));
            }
            assertThat(map.size()).isEqualTo(reference.size());
        }
    }
}
