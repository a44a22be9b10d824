package io.astaire.cli.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The lab builds the chain topology with working links, and leaves nothing behind. */
@Timeout(120)
class ChainLabTest {

    @Test
    void buildsLinksAndRoutesAndTearsEverythingDown(@TempDir Path logs) throws Exception {
        String reason = Lab.unavailableReason();
        assumeTrue(reason == null, () -> "lab test skipped: " + reason);
        List<String> names;
        try (ChainLab chain = ChainLab.build(new Lab(logs), List.of("true"), 3)) {
            chain.addPlainPath();
            names = chain.lab().namespaces().stream().map(LabNamespace::name).toList();
            assertThat(names).hasSize(11).allMatch(n -> n.startsWith("astaire-" + ProcessHandle.current().pid() + "-"));
            // client to the ingress namespace, across the underlay bridge, server to egress, the plain path.
            assertThat(chain.ns("client").execResult(10, "ping", "-c1", "-W2", "10.1.0.1").ok()).isTrue();
            assertThat(chain.ns("client").execResult(10, "ping", "-6", "-c1", "-W2", "fd00:1::1").ok()).isTrue();
            assertThat(chain.ns("ingress").execResult(10, "ping", "-c1", "-W2", ChainLab.underlayAddress("sf3")).ok()).isTrue();
            assertThat(chain.ns("sf1").execResult(10, "ping", "-c1", "-W2", ChainLab.UNDERLAY_EGRESS).ok()).isTrue();
            assertThat(chain.ns("server").execResult(10, "ping", "-c1", "-W2", "10.2.0.1").ok()).isTrue();
            assertThat(chain.ns("pclient").execResult(10, "ping", "-c1", "-W2", ChainLab.PLAIN_SERVER).ok()).isTrue();
            // Without the chain running, nothing routes client to server.
            assertThat(chain.ns("client").execResult(10, "ping", "-c1", "-W1", ChainLab.SERVER).ok()).isFalse();
            LabProcess sleeper = chain.lab().start("sleeper", chain.ns("server"), List.of("sleep", "600"));
            assertThat(sleeper.isAlive()).isTrue();
        }
        for (String n : names) {
            assertThat(Files.exists(Path.of("/var/run/netns", n))).as(n + " deleted").isFalse();
        }
    }
}
