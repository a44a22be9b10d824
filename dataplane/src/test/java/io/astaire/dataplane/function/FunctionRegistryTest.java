package io.astaire.dataplane.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.function.FunctionConfig;
import io.astaire.function.FunctionConfigException;
import io.astaire.function.ServiceFunction;
import io.astaire.function.ServiceFunctionProvider;
import io.astaire.function.Verdict;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FunctionRegistryTest {

    @Test
    void listsTheBuiltIns() {
        FunctionRegistry registry = FunctionRegistry.load(getClass().getClassLoader());
        assertThat(registry.kinds()).containsExactly("acl", "counter", "dscp", "passthrough", "pcap", "ratelimit", "tag");
        assertThat(registry.create("passthrough").process(TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).build()))
                .isEqualTo(Verdict.FORWARD);
    }

    @Test
    void unknownKindListsTheKnownOnes() {
        FunctionRegistry registry = FunctionRegistry.load();
        assertThatThrownBy(() -> registry.create("firewall")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown function kind 'firewall'; known kinds: acl, counter, dscp, passthrough, pcap, ratelimit, tag");
        FunctionConfig config = new FunctionConfig("fw", "firewall", Map.of(), new SimpleMeterRegistry());
        assertThatThrownBy(() -> registry.instantiate(config)).isInstanceOf(FunctionConfigException.class)
                .hasMessageStartingWith("functions.fw.kind: unknown function kind 'firewall'; known kinds: acl, ");
    }

    @Test
    void instantiateConfiguresAndReportsBadConfig() {
        FunctionRegistry registry = FunctionRegistry.load();
        FunctionConfig bad = new FunctionConfig("edge", "acl", Map.of("default", "maybe"), new SimpleMeterRegistry());
        assertThatThrownBy(() -> registry.instantiate(bad)).isInstanceOf(FunctionConfigException.class)
                .hasMessage("functions.edge.config.default: 'maybe' is not allow|deny");
        FunctionConfig good = new FunctionConfig("edge", "acl", Map.of("default", "deny"), new SimpleMeterRegistry());
        assertThat(registry.instantiate(good).process(TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).build()))
                .isEqualTo(Verdict.DROP);
    }

    /** A user's provider that claims a built-in's kind. */
    public static final class ImpostorProvider implements ServiceFunctionProvider {
        @Override public String kind() { return "passthrough"; }
        @Override public ServiceFunction create() { return packet -> Verdict.DROP; }
    }

    @Test
    void aKindProvidedTwiceIsAnError(@TempDir Path dir) throws Exception {
        Path services = dir.resolve("META-INF/services/" + ServiceFunctionProvider.class.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, ImpostorProvider.class.getName() + "\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            assertThatThrownBy(() -> FunctionRegistry.load(loader)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("function kind 'passthrough' is provided twice")
                    .hasMessageContaining(ImpostorProvider.class.getName());
        }
    }
}
