package io.astaire.dataplane.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import org.junit.jupiter.api.Test;

/** The classifier's memory bound: sizes as operators write them, and refusals that say how big and what limit. */
class ClassifierLimitTest {
    private static final ClassifierLimit ONE_MIB = new ClassifierLimit(1 << 20);

    @Test
    void sizesParseInBinaryUnits() {
        assertThat(ClassifierLimit.parse("64MiB").maxBytes()).isEqualTo(64L << 20);
        assertThat(ClassifierLimit.parse("64m").maxBytes()).isEqualTo(64L << 20);
        assertThat(ClassifierLimit.parse("2 GB").maxBytes()).isEqualTo(2L << 30);
        assertThat(ClassifierLimit.parse("4096k").maxBytes()).isEqualTo(4L << 20);
        assertThat(ClassifierLimit.parse("2097152").maxBytes()).isEqualTo(2L << 20);
        assertThatThrownBy(() -> ClassifierLimit.parse("lots")).hasMessageContaining("--max-classifier-memory: 'lots' is not a size");
        assertThatThrownBy(() -> ClassifierLimit.parse("512k")).hasMessageContaining("at least 1MiB, was 512 KiB");
        assertThatThrownBy(() -> ClassifierLimit.parse("99999999999g")).hasMessageContaining("too large");
    }

    @Test
    void aRuleSetFarOverTheLimitIsRefusedByItsSizeAloneNamingBoth() {
        Topology big = topology(6000);
        assertThat(ClassifierLimit.lowerBound(6000)).isGreaterThan(ONE_MIB.maxBytes());
        assertThatThrownBy(() -> ONE_MIB.forward(big))
                .isInstanceOf(ClassifierTooLargeException.class)
                .hasMessageContaining("6000 classifier rules would take at least " + ClassifierLimit.lowerBound(6000) + " bytes (1.2 MiB)")
                .hasMessageContaining("over the limit of 1 MiB (--max-classifier-memory)");
        assertThatThrownBy(() -> ONE_MIB.check(big)).isInstanceOf(ClassifierTooLargeException.class);
        assertThat(ClassifierLimit.DEFAULT.forward(big).size()).isEqualTo(6000);
    }

    @Test
    void betweenTheBoundsTheTableIsBuiltAndItsRealSizeDecides() {
        // 4600 and 5100 rules: both between the bounds of 1 MiB, so neither is decided without building
        for (int rules : new int[] {4600, 5100}) {
            assertThat(ClassifierLimit.lowerBound(rules)).isLessThanOrEqualTo(ONE_MIB.maxBytes());
            assertThat(ClassifierLimit.upperBound(rules)).isGreaterThan(ONE_MIB.maxBytes());
        }
        RuleTable fits = ONE_MIB.forward(topology(4600));
        assertThat(fits.memoryBytes()).isLessThanOrEqualTo(ONE_MIB.maxBytes());
        ONE_MIB.check(topology(4600));
        long real = RuleTable.forward(topology(5100)).memoryBytes();
        assertThat(real).isGreaterThan(ONE_MIB.maxBytes());
        assertThatThrownBy(() -> ONE_MIB.check(topology(5100)))
                .isInstanceOf(ClassifierTooLargeException.class)
                .hasMessageContaining("5100 classifier rules would take " + real + " bytes");
    }

    @Test
    void theEgressCountsOnlyTheRulesOfSymmetricChains() {
        Topology oneWay = TopologyCodec.parse(yaml(6000).replace("symmetric: true", "symmetric: false"));
        assertThat(ONE_MIB.reverse(oneWay).size()).isZero();
        assertThatThrownBy(() -> ONE_MIB.reverse(topology(6000))).isInstanceOf(ClassifierTooLargeException.class);
    }

    /** {@code rules} rules to distinct /32 destinations, one symmetric chain. */
    static Topology topology(int rules) {
        return TOPOLOGIES.computeIfAbsent(rules, n -> TopologyCodec.parse(yaml(n)));
    }

    private static final java.util.Map<Integer, Topology> TOPOLOGIES = new java.util.concurrent.ConcurrentHashMap<>();

    private static String yaml(int rules) {
        StringBuilder y = new StringBuilder("""
                functions:
                  - {name: f1, kind: passthrough, address: 127.0.0.1:4791}
                chains:
                  - {name: web, spi: 10, functions: [f1], symmetric: true}
                ingress: {address: 127.0.0.1:4998}
                egress: {address: 127.0.0.1:4999}
                rules:
                """);
        for (int i = 0; i < rules; i++) {
            y.append("  - {name: r").append(i).append(", priority: 10, protocol: udp, destination: 10.")
                    .append(i >> 16 & 255).append('.').append(i >> 8 & 255).append('.').append(i & 255).append("/32, chain: web}\n");
        }
        return y.toString();
    }
}
