package io.astaire.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.model.FunctionSpec;
import io.astaire.model.HopAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry over a real SQLite file, without HTTP: transactions, swaps and what a reopen finds. */
class RegistryTest {
    static final String BASE = """
            functions:
              - {name: a, kind: counter, address: "127.0.0.1:4791"}
            egress: {address: "127.0.0.1:4794"}
            """;

    @TempDir
    Path dir;

    @Test
    void aWriteTheDatabaseRefusesLeavesTheStateAsItWas() {
        SqliteTopologyStore store = SqliteTopologyStore.open(dir.resolve("r.db"));
        Registry registry = new Registry(store);
        registry.apply(ApplyDocument.parse(BASE), false, false, null);
        RegistryState before = registry.state();
        var watched = registry.watch().next();

        store.close(); // the disk goes away under the registry
        assertThatThrownBy(() -> registry.create(Kind.FUNCTION, new FunctionSpec("b", "counter", HopAddress.parse("127.0.0.1:4792"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot write to the database");
        assertThat(registry.state()).isSameAs(before);
        assertThat(registry.state().item(Kind.FUNCTION, "b")).isNull();
        assertThat(watched).as("watchers are not woken by a write that did not commit").isNotDone();
    }

    @Test
    void twoChainsCanSwapSpisInOneApplyAndTheSwapSurvivesAReopen() {
        Path db = dir.resolve("r.db");
        try (Registry registry = new Registry(SqliteTopologyStore.open(db))) {
            registry.apply(ApplyDocument.parse(BASE + """
                    chains:
                      - {name: x, spi: 1, symmetric: false, functions: [a]}
                      - {name: y, spi: 2, symmetric: false, functions: [a]}
                    """), false, false, null);
            var result = registry.apply(ApplyDocument.parse("""
                    chains:
                      - {name: x, spi: 2, symmetric: false, functions: [a]}
                      - {name: y, spi: 1, symmetric: false, functions: [a]}
                    """), false, false, null);
            assertThat(result.outcomes()).extracting(Registry.Outcome::action).containsOnly(Registry.Action.UPDATED);
        }
        try (Registry reopened = new Registry(SqliteTopologyStore.open(db))) {
            assertThat(reopened.state().topology().chain("x").spi()).isEqualTo(2);
            assertThat(reopened.state().topology().chain("y").spi()).isEqualTo(1);
            assertThat(reopened.state().version()).isEqualTo(2);
        }
    }

    @Test
    void aDryRunReportsButStoresNothing() {
        Path db = dir.resolve("r.db");
        try (Registry registry = new Registry(SqliteTopologyStore.open(db))) {
            var result = registry.apply(ApplyDocument.parse(BASE), false, true, null);
            assertThat(result.version()).isEqualTo(1);
            assertThat(result.outcomes()).extracting(Registry.Outcome::action).containsOnly(Registry.Action.CREATED);
            assertThat(registry.state().version()).isZero();
        }
        try (Registry reopened = new Registry(SqliteTopologyStore.open(db))) {
            assertThat(reopened.state().items(Kind.FUNCTION)).isEmpty();
        }
    }

    @Test
    void theSchemaIsMigratedOnceAndReopeningIsHarmless() {
        Path db = dir.resolve("r.db");
        for (int i = 0; i < 3; i++) {
            try (Registry registry = new Registry(SqliteTopologyStore.open(db))) {
                registry.apply(ApplyDocument.parse(BASE.replace("4791", Integer.toString(4800 + i))), false, false, null);
                assertThat(registry.state().version()).isEqualTo(i + 1);
            }
        }
    }
}
