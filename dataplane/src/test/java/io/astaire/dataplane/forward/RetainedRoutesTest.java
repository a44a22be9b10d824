package io.astaire.dataplane.forward;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.dataplane.resolve.ResolvedHop;
import io.astaire.model.HopAddress;
import io.astaire.model.ServicePath;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Make-before-break in the table: routes of previous path generations, their expiry and the lookup by generation. */
class RetainedRoutesTest {

    private static final String TEMPLATE = """
            functions:
              - {name: a, kind: passthrough, address: "127.0.0.1:5001"}
              - {name: b, kind: passthrough, address: "127.0.0.1:5002"}
              - {name: c, kind: passthrough, address: "127.0.0.1:5003"}
              - {name: d, kind: passthrough, address: "127.0.0.1:5004"}
            chains:
              - {name: web, spi: 10, functions: [%s]}
            ingress: {address: "127.0.0.1:4790"}
            egress: {address: "127.0.0.1:4794"}
            """;
    private static final Duration DRAIN = Duration.ofSeconds(30);

    private final Map<HopAddress, ResolvedHop> hops = new HashMap<>();
    private long now = 1_000_000_000L;

    private static Topology chain(String functions) {
        return TopologyCodec.parse(TEMPLATE.formatted(functions));
    }

    private ForwardingTable<String> build(long version, Topology t, ForwardingTable<String> previous, Map<String, String> local) {
        return ForwardingTable.builder(String[]::new).localFunctions(local)
                .hops(a -> hops.computeIfAbsent(a, ResolvedHop::new))
                .retain(previous, DRAIN).clock(() -> now).build(version, t);
    }

    private static int generation(Topology t) {
        return t.paths().getFirst().generation();
    }

    @Test
    void aRemovedFunctionKeepsRoutingPacketsOfTheOldPathUntilTheyDrain() {
        Map<String, String> local = Map.of("b", "fn-b");
        Topology v1 = chain("a, b, c");
        Topology v2 = chain("a, c");
        ForwardingTable<String> t1 = build(1, v1, null, local);
        ForwardingTable<String> t2 = build(2, v2, t1, local);

        Route<String> old = t2.route(10, 254, generation(v1));
        assertThat(old).isNotNull();
        assertThat(old.retained()).isTrue();
        assertThat(old.functions()).containsExactly("fn-b");
        assertThat(old.next().name().port()).isEqualTo(5003);
        assertThat(old.generation()).isEqualTo(generation(v1));
        // the new path does not pass here: unversioned and new-generation packets find nothing
        assertThat(t2.route(10, 254, 0)).isNull();
        assertThat(t2.route(10, 254, generation(v2))).isNull();
        assertThat(t2.routes()).isEmpty();
        assertThat(t2.nextHops()).extracting(ResolvedHop::name).contains(HopAddress.parse("127.0.0.1:5003"));

        now += DRAIN.toNanos() - 1;
        assertThat(t2.withoutExpired(now)).isSameAs(t2);
        assertThat(build(3, v2, t2, local).route(10, 254, generation(v1))).as("kept until its deadline").isNotNull();
        now += 1;
        assertThat(t2.earliestDrainDeadline()).isEqualTo(now);
        assertThat(t2.withoutExpired(now).route(10, 254, generation(v1))).isNull();
        assertThat(t2.withoutExpired(now).retainedRoutes()).isEmpty();
        assertThat(build(3, v2, t2, local).route(10, 254, generation(v1))).isNull();
    }

    @Test
    void eachGenerationGetsItsOwnRouteAtTheSameServiceIndexAndUnknownOnesTakeTheCurrent() {
        Map<String, String> local = Map.of("a", "fn-a");
        Topology v1 = chain("a, b");
        Topology v2 = chain("a, c");   // replace b by c: a now forwards to c
        ForwardingTable<String> t2 = build(2, v2, build(1, v1, null, local), local);
        assertThat(t2.route(10, 255, generation(v1)).next().name().port()).isEqualTo(5002);
        assertThat(t2.route(10, 255, generation(v2)).next().name().port()).isEqualTo(5003);
        assertThat(t2.route(10, 255, 0).next().name().port()).isEqualTo(5003);
        assertThat(t2.route(10, 255).generation()).isEqualTo(generation(v2));
        long before = t2.unknownGenerations();
        assertThat(t2.route(10, 255, 0x5EED).next().name().port()).isEqualTo(5003);
        assertThat(t2.unknownGenerations()).isEqualTo(before + 1);
        // counted across tables, not reset by an update
        ForwardingTable<String> t3 = build(3, v2, t2, local);
        assertThat(t3.unknownGenerations()).isEqualTo(before + 1);
    }

    @Test
    void retainedRoutesAreReboundToTheCurrentInstancesAndKeepTheirFirstDeadline() {
        Topology v1 = chain("a, b, c");
        Topology v2 = chain("a, c, b");
        ForwardingTable<String> t1 = build(1, v1, null, Map.of("b", "fn-b#1"));
        ForwardingTable<String> t2 = build(2, v2, t1, Map.of("b", "fn-b#1"));
        long deadline = t2.earliestDrainDeadline();
        now += 5_000_000_000L;
        // b's config changed: the node swapped its instance; old-path packets must reach the new one
        ForwardingTable<String> t3 = build(3, v2, t2, Map.of("b", "fn-b#2"));
        Route<String> old = t3.route(10, 254, generation(v1));
        assertThat(old.functions()).containsExactly("fn-b#2");
        assertThat(t3.route(10, 253, generation(v2)).functions()).containsExactly("fn-b#2");
        assertThat(t3.earliestDrainDeadline()).isEqualTo(deadline);
    }

    @Test
    void aPathThatComesBackIsCurrentAgainNotAlsoRetained() {
        Map<String, String> local = Map.of("b", "fn-b");
        Topology v1 = chain("a, b, c");
        Topology v2 = chain("a, c");
        ForwardingTable<String> t3 = build(3, v1, build(2, v2, build(1, v1, null, local), local), local);
        assertThat(t3.retainedRoutes()).isEmpty();
        assertThat(t3.route(10, 254, generation(v1)).retained()).isFalse();
    }

    @Test
    void aDeletedChainDrainsAndCountsUnderItsOwnPath() {
        Map<String, String> local = Map.of("a", "fn-a");
        Topology v1 = chain("a, b");
        Topology v2 = TopologyCodec.parse("""
                functions:
                  - {name: a, kind: passthrough, address: "127.0.0.1:5001"}
                chains:
                  - {name: other, spi: 20, functions: [a]}
                ingress: {address: "127.0.0.1:4790"}
                egress: {address: "127.0.0.1:4794"}
                """);
        ForwardingTable<String> t2 = build(2, v2, build(1, v1, null, local), local);
        Route<String> old = t2.route(10, 255, generation(v1));
        assertThat(old).isNotNull();
        assertThat(t2.paths().get(old.pathIndex()).spi()).isEqualTo(10);
        assertThat(t2.paths().subList(0, v2.paths().size())).isEqualTo(v2.paths());
    }

    @Test
    void noRetentionWithoutDrainTime() {
        Map<String, String> local = Map.of("b", "fn-b");
        ForwardingTable<String> t1 = build(1, chain("a, b, c"), null, local);
        ForwardingTable<String> t2 = ForwardingTable.builder(String[]::new).localFunctions(local)
                .hops(a -> hops.computeIfAbsent(a, ResolvedHop::new)).retain(t1, Duration.ZERO).build(2, chain("a, c"));
        assertThat(t2.retainedRoutes()).isEmpty();
    }

    /**
     * Seeded random sequences of edits (insert, remove, reorder, replace, move): after every build,
     * every route of every table built within the drain time is still found by its generation with
     * the same functions and next hop, and generation 0 always finds the current route.
     */
    @Test
    void randomEditSequencesNeverLoseARouteThatIsStillDraining() {
        Random random = new Random(20261203L);
        for (int run = 0; run < 200; run++) {
            List<String> names = new ArrayList<>(List.of("a", "b", "c", "d"));
            Map<String, String> local = new HashMap<>();
            for (String n : names) {
                if (random.nextBoolean()) {
                    local.put(n, "fn-" + n);
                }
            }
            List<ForwardingTable<String>> history = new ArrayList<>();
            List<Long> builtAt = new ArrayList<>();
            ForwardingTable<String> previous = null;
            int[] ports = {5001, 5002, 5003, 5004};
            for (int version = 1; version <= 12; version++) {
                List<String> chain = new ArrayList<>(names.subList(0, 1 + random.nextInt(names.size())));
                java.util.Collections.shuffle(chain, random);
                if (random.nextInt(4) == 0) {
                    ports[random.nextInt(4)] += 10; // a function moved
                }
                Topology t = TopologyCodec.parse(TEMPLATE.formatted(String.join(", ", chain))
                        .replace("5001", "" + ports[0]).replace("5002", "" + ports[1])
                        .replace("5003", "" + ports[2]).replace("5004", "" + ports[3]));
                now += (long) random.nextInt(8_000) * 1_000_000L;
                ForwardingTable<String> table = build(version, t, previous, local);
                if (random.nextInt(3) == 0) {
                    table = table.withoutExpired(now);
                }
                for (int h = 0; h < history.size(); h++) {
                    boolean draining = now - builtAt.get(h + 1 < builtAt.size() ? h + 1 : h) < DRAIN.toNanos();
                    if (!draining) {
                        continue;
                    }
                    for (Route<String> r : history.get(h).routes()) {
                        Route<String> found = table.route(r.path().spi(), r.si(), r.generation());
                        assertThat(found).as("run %d v%d: %s of v%d", run, version, r, h + 1).isNotNull();
                        assertThat(found.generation()).isEqualTo(r.generation());
                        assertThat(found.functions()).containsExactly(r.functions());
                        assertThat(found.terminal()).isEqualTo(r.terminal());
                        if (r.next() != null) {
                            assertThat(found.next().name()).isEqualTo(r.next().name());
                        }
                    }
                }
                for (Route<String> r : table.routes()) {
                    assertThat(table.route(r.path().spi(), r.si(), 0)).isSameAs(r);
                    assertThat(table.route(r.path().spi(), r.si(), r.generation())).isSameAs(r);
                }
                for (ServicePath p : t.paths()) {
                    assertThat(table.paths()).contains(p);
                }
                history.add(table);
                builtAt.add(now);
                previous = table;
            }
        }
    }
}
