package io.astaire.dataplane.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.astaire.model.ModelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTopologySourceTest {

    @TempDir
    Path dir;

    static String topology(int port) {
        return """
                functions:
                  - {name: a, kind: passthrough, address: "127.0.0.1:%d"}
                chains:
                  - {name: web, symmetric: false, functions: [a]}
                egress: {address: "127.0.0.1:4794"}
                """.formatted(port);
    }

    @Test
    void anInvalidOrMissingFileFailsAtStartNamingTheField() throws Exception {
        Path file = dir.resolve("t.yaml");
        Files.writeString(file, topology(4791).replace("functions: [a]", "functions: [b]"));
        assertThatThrownBy(() -> new FileTopologySource(file))
                .isInstanceOf(ModelException.class).hasMessageContaining("chains[0].functions[0]");
        assertThatThrownBy(() -> new FileTopologySource(dir.resolve("missing.yaml")))
                .isInstanceOf(ModelException.class).hasMessageContaining("no such file");
    }

    @Test
    void reloadsChangesKeepsTheLastGoodVersionAndTellsListeners() throws Exception {
        Path file = dir.resolve("t.yaml");
        Files.writeString(file, topology(4791));
        try (FileTopologySource source = new FileTopologySource(file, Duration.ofMillis(50))) {
            List<TopologySource.Versioned> seen = new CopyOnWriteArrayList<>();
            source.subscribe(seen::add);
            assertThat(source.current().version()).isEqualTo(1);
            assertThat(source.current().topology().function("a").address().port()).isEqualTo(4791);

            Files.writeString(file, "functions: [ {name: a, kind: passthrough} ]\n"); // no address
            source.check();
            assertThat(source.current().version()).isEqualTo(1);
            assertThat(seen).isEmpty();

            Files.writeString(file, topology(4800));
            await().atMost(Duration.ofSeconds(10)).until(() -> source.current().version() == 2);
            assertThat(source.current().topology().function("a").address().port()).isEqualTo(4800);
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
            assertThat(seen.getFirst().version()).isEqualTo(2);

            Files.writeString(file, topology(4800)); // same content: no new version
            source.check();
            assertThat(source.current().version()).isEqualTo(2);
        }
    }
}
