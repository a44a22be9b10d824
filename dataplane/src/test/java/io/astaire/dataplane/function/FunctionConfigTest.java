package io.astaire.dataplane.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.function.FunctionConfig;
import io.astaire.function.FunctionConfigException;
import io.astaire.model.FunctionSpec;
import io.astaire.model.IpPrefix;
import io.astaire.model.PortRange;
import io.astaire.model.Protocol;
import io.astaire.model.TopologyCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FunctionConfigTest {

    enum Action { ALLOW, DENY }

    record Rule(Action action, Protocol protocol, IpPrefix source, PortRange destinationPorts) {}

    record Rules(Action defaultAction, List<Rule> rules, Integer limit) {}

    /** The config of a function named "acl", parsed from YAML like a topology's. */
    private static FunctionConfig config(String yaml) {
        @SuppressWarnings("unchecked")
        Map<String, Object> raw = TopologyCodec.parse(yaml, Map.class);
        return new FunctionConfig("acl", "acl", raw, new SimpleMeterRegistry());
    }

    @Test
    void bindsModelTypesAndEnumsCaseInsensitively() {
        Rules rules = config("""
                defaultAction: Deny
                limit: 3
                rules:
                  - {action: allow, protocol: tcp, source: 10.0.0.0/8, destinationPorts: 80}
                  - {action: DENY, destinationPorts: 1000-2000}
                """).bind(Rules.class);
        assertThat(rules.defaultAction()).isEqualTo(Action.DENY);
        assertThat(rules.limit()).isEqualTo(3);
        assertThat(rules.rules().get(0)).isEqualTo(new Rule(Action.ALLOW, Protocol.TCP, IpPrefix.parse("10.0.0.0/8"), PortRange.of(80)));
        assertThat(rules.rules().get(1).destinationPorts()).isEqualTo(new PortRange(1000, 2000));
    }

    @Test
    void badEnumNamesTheFieldAndTheChoices() {
        assertThatThrownBy(() -> config("rules: [{action: allow}, {action: alow}]").bind(Rules.class))
                .isInstanceOf(FunctionConfigException.class)
                .hasMessage("functions.acl.config.rules[1].action: 'alow' is not allow|deny")
                .extracting(e -> ((FunctionConfigException) e).field()).isEqualTo("functions.acl.config.rules[1].action");
    }

    @Test
    void unknownFieldIsAnErrorListingTheKnownOnes() {
        assertThatThrownBy(() -> config("rules: [{action: allow, destinationPort: 80}]").bind(Rules.class))
                .hasMessageStartingWith("functions.acl.config.rules[0].destinationPort: unknown field 'destinationPort' (known: ")
                .hasMessageContaining("destinationPorts");
    }

    @Test
    void modelParserErrorsKeepTheirExplanation() {
        assertThatThrownBy(() -> config("rules: [{action: deny, source: 10.0.0.0/33}]").bind(Rules.class))
                .hasMessage("functions.acl.config.rules[0].source: '10.0.0.0/33': prefix length 33 is outside 0-32");
        assertThatThrownBy(() -> config("rules: [{action: deny, protocol: sctpx}]").bind(Rules.class))
                .hasMessage("functions.acl.config.rules[0].protocol: 'sctpx' is not a protocol: a number 0-255 or one of any, tcp, udp, icmp, icmpv6, gre, esp, ah, sctp");
        assertThat(config("rules: [{action: deny, protocol: 47}]").bind(Rules.class).rules().getFirst().protocol())
                .as("any IP protocol by number").isSameAs(Protocol.GRE);
    }

    @Test
    void wrongTypesNameTheField() {
        assertThatThrownBy(() -> config("limit: lots").bind(Rules.class))
                .hasMessage("functions.acl.config.limit: 'lots' is not an integer");
        assertThatThrownBy(() -> config("rules: 5").bind(Rules.class))
                .hasMessageStartingWith("functions.acl.config.rules: ");
    }

    @Test
    void typedGettersCheckTypesAndRanges() {
        FunctionConfig c = config("""
                slots: 1024
                big: 70000
                name: x
                on: true
                mode: Fast
                nested: {a: 1}
                """);
        assertThat(c.intValue("slots", 1, 1, 65536)).isEqualTo(1024);
        assertThat(c.intValue("absent", 7, 1, 10)).isEqualTo(7);
        assertThat(c.bool("on", false)).isTrue();
        assertThat(c.string("name", null)).isEqualTo("x");
        assertThat(c.choice("mode", Mode.class, Mode.SLOW)).isEqualTo(Mode.FAST);
        assertThatThrownBy(() -> c.intValue("big", 1, 1, 65535)).hasMessage("functions.acl.config.big: 70000 is outside 1-65535");
        assertThatThrownBy(() -> c.intValue("name", 1, 1, 65535)).hasMessage("functions.acl.config.name: 'x' is not an integer");
        assertThatThrownBy(() -> c.bool("slots", false)).hasMessage("functions.acl.config.slots: '1024' is not true or false");
        assertThatThrownBy(() -> c.string("nested", null)).hasMessage("functions.acl.config.nested: expected a string, got a map");
        assertThatThrownBy(() -> c.requireString("file")).hasMessage("functions.acl.config.file: is required");
        assertThatThrownBy(() -> c.choice("name", Mode.class, null)).hasMessage("functions.acl.config.name: 'x' is not fast|slow");
    }

    enum Mode { FAST, SLOW }

    @Test
    void comesFromAFunctionSpecWithTheFunctionTag() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        FunctionConfig c = FunctionRegistry.configOf(new FunctionSpec("edge-fw", "acl", Map.of("default", "deny"), null, 1), meters);
        assertThat(c.name()).isEqualTo("edge-fw");
        assertThat(c.kind()).isEqualTo("acl");
        assertThat(c.raw()).containsEntry("default", "deny");
        assertThat(c.meters()).isSameAs(meters);
        assertThat(c.tags()).extracting(t -> t.getKey() + "=" + t.getValue()).containsExactly("function=edge-fw");
        assertThat(c.invalid("rules[0].action", "is required").getMessage())
                .isEqualTo("functions.edge-fw.config.rules[0].action: is required");
    }
}
