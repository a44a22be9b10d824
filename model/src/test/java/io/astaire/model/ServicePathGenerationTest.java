package io.astaire.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ServicePathGenerationTest {

    private static final String BASE = """
            functions:
              - {name: a, kind: passthrough, address: "10.0.0.1:4791"}
              - {name: b, kind: counter, address: "10.0.0.2:4791"}
              - {name: c, kind: acl, address: "10.0.0.3:4791", config: {rules: []}}
            chains:
              - {name: web, spi: 10, functions: [a, b]}
            rules:
              - {name: r, protocol: udp, destinationPorts: 53, chain: web}
            ingress: {address: "10.9.0.1:4790"}
            egress: {address: "10.9.0.2:4790"}
            """;

    private static List<Integer> generations(String yaml) {
        return TopologyCodec.parse(yaml).paths().stream().map(ServicePath::generation).toList();
    }

    @Test
    void isTheSameOnEveryParseAndInEveryProcess() {
        assertThat(generations(BASE)).isEqualTo(generations(BASE));
        // Pinned: a change of the fingerprint's encoding would make old and new nodes disagree
        // during a rolling upgrade; change this value only together with a note in docs/wire.md.
        ServicePath p = new ServicePath(10, "web", false, List.of(
                new ServicePath.Hop("a", HopAddress.parse("10.0.0.1:4791"), false),
                new ServicePath.Hop("egress", HopAddress.parse("10.9.0.2:4790"), true)));
        assertThat(p.generation()).isEqualTo(p.generation()).isNotZero();
        assertThat(Integer.toHexString(p.generation())).isEqualTo(PINNED);
    }

    private static final String PINNED = "4a18640b";

    @Test
    void changesWithEveryEditThatChangesWhereAPacketGoes() {
        List<String> edits = List.of(
                BASE,
                BASE.replace("functions: [a, b]", "functions: [a, c, b]"),          // insert
                BASE.replace("functions: [a, b]", "functions: [a]"),                // remove
                BASE.replace("functions: [a, b]", "functions: [b, a]"),             // reorder
                BASE.replace("functions: [a, b]", "functions: [a, c]"),             // replace
                BASE.replace("10.0.0.2:4791", "10.0.0.7:4791"),                     // moved
                BASE.replace("10.0.0.2:4791\"", "10.0.0.2:4792\""),                 // other port
                BASE.replace("egress: {address: \"10.9.0.2:4790\"}", "egress: {address: \"10.9.0.3:4790\"}"),
                BASE.replace("spi: 10", "spi: 11"));
        Set<Integer> forward = new HashSet<>();
        Set<Integer> all = new HashSet<>();
        for (String e : edits) {
            List<Integer> g = generations(e);
            assertThat(forward.add(g.getFirst())).as("forward generation of %s is new", e).isTrue();
            all.addAll(g);
        }
        // The reverse path of a symmetric chain differs from its forward path.
        List<Integer> base = generations(BASE);
        assertThat(base.get(0)).isNotEqualTo(base.get(1));
    }

    @Test
    void staysWhenOnlyConfigKindReplicasOrRulesChange() {
        List<Integer> base = generations(BASE);
        assertThat(generations(BASE.replace("kind: counter", "kind: passthrough"))).isEqualTo(base);
        assertThat(generations(BASE.replace("\"10.0.0.2:4791\"}", "\"10.0.0.2:4791\", replicas: 3, config: {x: 1}}"))).isEqualTo(base);
        assertThat(generations(BASE.replace("destinationPorts: 53", "destinationPorts: 54"))).isEqualTo(base);
        assertThat(generations(BASE.replace("config: {rules: []}", "config: {rules: [{action: drop}]}"))).isEqualTo(base);
    }

    @Test
    void spreadsOverManyPathsWithoutCollisionsOrZero() {
        java.util.Random random = new java.util.Random(42);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            int n = 1 + random.nextInt(5);
            List<ServicePath.Hop> hops = new java.util.ArrayList<>();
            for (int h = 0; h < n; h++) {
                hops.add(new ServicePath.Hop("f" + random.nextInt(50), new HopAddress("10.0." + random.nextInt(4) + "." + random.nextInt(256), 4790), false));
            }
            hops.add(new ServicePath.Hop("egress", new HopAddress("10.9.0.2", 4790), true));
            ServicePath p = new ServicePath(1 + random.nextInt(100), "c", random.nextBoolean(), hops);
            int g = p.generation();
            assertThat(g).isNotZero();
            seen.add(g);
        }
        assertThat(seen.size()).isGreaterThan(19_900); // distinct inputs → (almost) distinct fingerprints
    }
}
