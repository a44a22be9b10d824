package io.astaire.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TopologyTest {

    private static final String MINIMAL = """
            functions:
              - {name: a, kind: passthrough, address: "10.0.0.1:4791"}
              - {name: b, kind: counter, address: "b.default.svc.cluster.local"}
            chains:
              - {name: c1, functions: [a, b]}
              - {name: c2, spi: 1, symmetric: false, functions: [b]}
            rules:
              - {name: r, protocol: udp, destinationPorts: 53, source: 10.1.0.0/16, chain: c1}
            ingress: {address: "127.0.0.1:4790"}
            egress: {address: "[::1]:4799"}
            """;

    @Test
    void readsTheExampleShippedWithTheProject() {
        Topology t = TopologyCodec.read(Path.of("../examples/chain.yaml"));
        assertThat(t.chains()).hasSize(1);
        assertThat(t.chain("web").spi()).isEqualTo(10);
        assertThat(t.rules().get(0).destinationPorts()).isEqualTo(new PortRange(1, 65535));
        assertThat(t.function("acl").config()).containsKey("rules");
    }

    @Test
    void allocatesFreeSpisInDeclarationOrderAndDerivesBothDirections() {
        Topology t = TopologyCodec.parse(MINIMAL);
        assertThat(t.chain("c1").spi()).isEqualTo(2); // 1 is taken by c2
        assertThat(t.function("b").address()).isEqualTo(new HopAddress("b.default.svc.cluster.local", 4790));
        assertThat(t.egress().address()).isEqualTo(new HopAddress("::1", 4799));

        assertThat(t.paths()).extracting(ServicePath::spi).containsExactly(2, ChainSpec.reverseSpi(2), 1);
        ServicePath forward = t.paths().get(0);
        assertThat(forward.hopFor(255).name()).isEqualTo("a");
        assertThat(forward.hopFor(254).name()).isEqualTo("b");
        assertThat(forward.hopFor(253).endpoint()).isTrue();
        assertThat(forward.hopFor(252)).isNull();
        ServicePath reverse = t.paths().get(1);
        assertThat(reverse.hops()).extracting(ServicePath.Hop::name).containsExactly("b", "a", "ingress");
    }

    @Test
    void roundTripsThroughYamlAndJson() {
        Topology t = TopologyCodec.parse(MINIMAL);
        assertThat(TopologyCodec.parse(TopologyCodec.toYaml(t))).isEqualTo(t);
        assertThat(TopologyCodec.parse(TopologyCodec.toJson(t))).isEqualTo(t);
    }

    @Test
    void ordersRulesByDescendingPriorityThenName() {
        Topology t = TopologyCodec.parse(MINIMAL.replace("rules:\n", """
                rules:
                  - {name: z-low, priority: -1, chain: c1}
                  - {name: b-high, priority: 10, chain: c2}
                  - {name: a-high, priority: 10, chain: c2}
                """));
        assertThat(t.orderedRules()).extracting(RuleSpec::name).containsExactly("a-high", "b-high", "r", "z-low");
    }

    @Test
    void errorsNameTheField() {
        assertProblem(MINIMAL.replace("functions: [a, b]", "functions: [a, nope]"), "chains[0].functions[1]", "'nope' is not a declared function");
        assertProblem(MINIMAL.replace("spi: 1,", "spi: 8388608,"), "chains[1].spi", "must be within");
        assertProblem(MINIMAL.replace("destinationPorts: 53", "destinationPorts: 99999"), "rules[0].destinationPorts", "99999");
        assertProblem(MINIMAL.replace("source: 10.1.0.0/16", "source: example.com"), "rules[0].source", "names are not allowed");
        assertProblem(MINIMAL.replace("protocol: udp", "protocol: udpx"), "rules[0].protocol", "'udpx'");
        assertProblem(MINIMAL.replace("protocol: udp", "protocol: 256"), "rules[0].protocol", "0-255");
        assertProblem(MINIMAL.replace("protocol: udp", "protocol: -3"), "rules[0].protocol", "0-255");
        assertProblem(MINIMAL.replace("kind: counter,", "kind: counter, colour: red,"), "functions[b].colour",
                "unknown field 'colour' (known: address, config, kind, name, replicas)");
        assertProblem(MINIMAL.replace("address: \"10.0.0.1:4791\"", "address: \"10.0.0.1:0\""), "functions[0].address", "port 0");
        assertProblem(MINIMAL.replace("{name: a,", "{name: A_1,"), "functions[0].name", "not a valid name");
        assertProblem(MINIMAL.replace(", chain: c1}", "}"), "rules[0].chain", "is required");
        assertProblem(MINIMAL.replace("egress: {address: \"[::1]:4799\"}", ""), "egress.address", "is required");
        assertProblem("chains: [", "chains", null);
        assertProblem("a: b: c", "(document)", "not valid YAML");
    }

    @Test
    void anUnknownFieldIsNamedByItemWithTheKnownFieldsAndNoClassName() {
        assertThatThrownBy(() -> TopologyCodec.parse(MINIMAL.replace("{name: c1,", "{name: c1, symetric: true,")))
                .isInstanceOf(ModelException.class)
                .hasMessage("chains[c1].symetric: unknown field 'symetric' (known: functions, name, spi, symmetric)")
                .hasMessageNotContaining("io.astaire");
        // An item without a name is named by its index.
        assertProblem(MINIMAL.replace("- {name: c2, ", "- {wat: 1, "), "chains[1].wat", "unknown field 'wat'");
        assertProblem(MINIMAL.replace("ingress: {address:", "ingress: {adress: x, address:"), "ingress.adress",
                "unknown field 'adress' (known: address)");
    }

    @Test
    void rulesNameAnyIpProtocolByNumberOrName() {
        String noPorts = MINIMAL.replace("destinationPorts: 53, ", "");
        for (String text : new String[] {"47", "\"47\"", "gre", "GRE"}) {
            Topology t = TopologyCodec.parse(noPorts.replace("protocol: udp", "protocol: " + text));
            assertThat(t.orderedRules().getFirst().protocol()).as(text).isSameAs(Protocol.GRE);
        }
        assertThat(TopologyCodec.parse(noPorts.replace("protocol: udp", "protocol: 0")).orderedRules().getFirst().protocol().number()).isZero();
        assertThat(TopologyCodec.parse(noPorts.replace("protocol: udp", "protocol: 253")).orderedRules().getFirst().protocol().label()).isEqualTo("253");
        assertThat(TopologyCodec.parse(noPorts.replace("protocol: udp", "protocol: 17")).orderedRules().getFirst().protocol()).isSameAs(Protocol.UDP);
        assertThat(Protocol.of(132)).isSameAs(Protocol.SCTP);
        assertThat(Protocol.SCTP.label()).isEqualTo("sctp");
    }

    @Test
    void portsNeedTcpOrUdp() {
        assertProblem(MINIMAL.replace("protocol: udp", "protocol: sctp"), "rules[0].protocol", "must be tcp or udp");
        assertProblem(MINIMAL.replace("protocol: udp", "protocol: icmp"), "rules[0].protocol", "must be tcp or udp");
    }

    @Test
    void prefixesMatchByMask() {
        IpPrefix p = IpPrefix.parse("10.1.2.3/15");
        assertThat(p.toString()).isEqualTo("10.0.0.0/15");
        assertThat(p.contains(new byte[] {10, 1, (byte) 255, 1})).isTrue();
        assertThat(p.contains(new byte[] {10, 2, 0, 0})).isFalse();
        assertThat(IpPrefix.parse("2001:db8::/32").contains(IpPrefix.parse("2001:db8:ffff::1").address())).isTrue();
        assertThat(IpPrefix.parse("0.0.0.0/0").contains(new byte[] {1, 2, 3, 4})).isTrue();
    }

    private static void assertProblem(String yaml, String field, String text) {
        var thrown = assertThatThrownBy(() -> TopologyCodec.parse(yaml)).isInstanceOf(ModelException.class);
        thrown.extracting(e -> ((ModelException) e).field()).isEqualTo(field);
        if (text != null) {
            thrown.hasMessageContaining(text);
        }
    }
}
