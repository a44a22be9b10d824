package io.astaire.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The codec reads exactly what was written: no aliases, no duplicate keys, no coercion. */
class StrictInputTest {

    private static ModelException refused(String text) {
        try {
            TopologyCodec.parse(text);
        } catch (ModelException e) {
            return e;
        }
        throw new AssertionError("accepted: " + text);
    }

    @Test
    void refusesAnAliasNamingTheFieldInsteadOfStoringTheAnchorsName() {
        ModelException e = refused("""
                functions:
                  - {name: a, kind: passthrough, address: &addr "10.0.0.1:4791"}
                  - {name: b, kind: passthrough, address: *addr}
                chains: [{name: c, functions: [a, b]}]
                """);
        assertThat(e.field()).isEqualTo("functions[1].address");
        assertThat(e.getMessage()).contains("alias", "*addr");
    }

    @Test
    void refusesAnAliasInsideAFunctionConfigAndAMergeKey() {
        assertThat(refused("""
                functions:
                  - {name: a, kind: rate-limit, address: "10.0.0.1:4791", config: {rate: &r 100, burst: *r}}
                chains: [{name: c, functions: [a]}]
                """).field()).isEqualTo("functions[0].config.burst");
        assertThat(refused("""
                base: &base {kind: passthrough}
                functions:
                  - {<<: *base, name: a, address: "10.0.0.1:4791"}
                """).getMessage()).contains("alias");
    }

    @Test
    void refusesADuplicateKeyNamingIt() {
        ModelException e = refused("""
                functions: [{name: a, kind: passthrough, address: "10.0.0.1:4791"}]
                chains:
                  - name: web
                    spi: 10
                    spi: 11
                    functions: [a]
                """);
        assertThat(e.field()).isEqualTo("chains[0].spi");
        assertThat(e.getMessage()).contains("'spi' is given twice");
        assertThat(refused("{\"functions\": [], \"functions\": []}").field()).isEqualTo("functions");
    }

    @Test
    void coercesNoScalarIntoAnotherType() {
        String fn = "{\"name\": \"a\", \"kind\": \"passthrough\", \"address\": \"10.0.0.1:4791\"}";
        ModelException name = refused("{\"functions\": [{\"name\": 123, \"kind\": \"passthrough\", \"address\": \"10.0.0.1:4791\"}]}");
        assertThat(name.field()).isEqualTo("functions[0].name");
        ModelException spi = refused("{\"functions\": [" + fn + "], \"chains\": [{\"name\": \"c\", \"spi\": 1e3, \"functions\": [\"a\"]}]}");
        assertThat(spi.field()).isEqualTo("chains[0].spi");
        assertThat(refused("{\"functions\": [" + fn + "], \"chains\": [{\"name\": \"c\", \"spi\": \"10\", \"functions\": [\"a\"]}]}")
                .field()).isEqualTo("chains[0].spi");
        assertThat(refused("{\"functions\": [" + fn + "], \"chains\": [{\"name\": \"c\", \"spi\": 10.5, \"functions\": [\"a\"]}]}")
                .field()).isEqualTo("chains[0].spi");
        assertThat(refused("{\"functions\": [" + fn + "], \"chains\": [{\"name\": \"c\", \"symmetric\": \"yes\", \"functions\": [\"a\"]}]}")
                .field()).isEqualTo("chains[0].symmetric");
    }

    @Test
    void stillReadsPortsAsNumbersOrRangesAndAddressesAsText() {
        Topology t = TopologyCodec.parse("""
                functions: [{name: a, kind: passthrough, address: "10.0.0.1:4791", replicas: 2}]
                chains: [{name: c, spi: 7, symmetric: false, functions: [a]}]
                rules:
                  - {name: r, priority: 5, protocol: tcp, destinationPorts: 443, sourcePorts: 1024-65535, chain: c}
                ingress: {address: "127.0.0.1:4790"}
                egress: {address: "127.0.0.1:4799"}
                """);
        assertThat(t.chain("c").spi()).isEqualTo(7);
        assertThat(t.rules().get(0).destinationPorts()).isEqualTo(new PortRange(443, 443));
        assertThat(t.function("a").replicas()).isEqualTo(2);
    }

    @Test
    void aTopologyFileIsReadJustAsStrictly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.yaml");
        Files.writeString(file, """
                functions:
                  - {name: a, kind: passthrough, address: &addr "10.0.0.1:4791"}
                  - {name: b, kind: passthrough, address: *addr}
                chains: [{name: c, functions: [a, b]}]
                """);
        assertThatThrownBy(() -> TopologyCodec.read(file)).isInstanceOf(ModelException.class)
                .hasMessageContaining("functions[1].address").hasMessageContaining("alias");
    }
}
