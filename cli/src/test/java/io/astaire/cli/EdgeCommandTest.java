package io.astaire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flags of {@code astaire ingress} and {@code astaire egress}: bad input fails at start-up with the flag or field named. */
@org.junit.jupiter.api.Timeout(60)
class EdgeCommandTest {

    record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        PrintStream oldErr = System.err;
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        try {
            var cli = AstaireCommand.commandLine();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(err));
            int exit = cli.execute(args);
            return new Run(exit, out.toString(), err + stderr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    @Test
    void helpListsTheFlags() {
        for (String role : new String[] {"ingress", "egress"}) {
            Run r = run(role, "--help");
            assertThat(r.exit()).isZero();
            assertThat(r.out()).contains("--tun", "--topology", "--controller", "--listen", "--underlay-mtu", "--offload",
                    "--metrics-listen", "--workers", "--tun-address", "--max-classifier-memory");
        }
    }

    @Test
    void requiresATunAndExactlyOneTopologySource() {
        assertThat(run("ingress", "--topology", "x.yaml").err()).contains("--tun");
        Run both = run("egress", "--tun", "t0", "--topology", "x.yaml", "--controller", "http://c:8080");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        Run none = run("egress", "--tun", "t0");
        assertThat(none.exit()).isEqualTo(2);
    }

    @Test
    void aNodeTokenBoundToAnotherNameOrAMissingFileStopsTheStart(@TempDir Path dir) throws Exception {
        Path token = dir.resolve("edge-b.token");
        Files.writeString(token, "edge-b:0123abcd\n");
        Run exposed = run("ingress", "--tun", "t0", "--controller", "http://127.0.0.1:1", "--name", "edge-b",
                "--node-token-file", token.toString());
        assertThat(exposed.exit()).isEqualTo(2);
        assertThat(exposed.err()).contains("--node-token-file", "accessible by group or others", "chmod 600");
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Run other = run("ingress", "--tun", "t0", "--controller", "http://127.0.0.1:1", "--name", "edge-a",
                "--node-token-file", token.toString());
        assertThat(other.exit()).isEqualTo(2);
        assertThat(other.err()).contains("bound to node 'edge-b'", "'edge-a'");
        Run missing = run("egress", "--tun", "t0", "--controller", "http://127.0.0.1:1",
                "--node-token-file", dir.resolve("nope").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--node-token-file", "cannot be read");
    }

    @Test
    void badValuesAreNamed(@TempDir Path dir) throws Exception {
        Path topo = dir.resolve("t.yaml");
        Files.writeString(topo, "functions: []\n");
        Run mtu = run("ingress", "--topology", topo.toString(), "--tun", "t0", "--underlay-mtu", "200");
        assertThat(mtu.exit()).isEqualTo(2);
        assertThat(mtu.err()).contains("--underlay-mtu");
        Run workers = run("ingress", "--topology", topo.toString(), "--tun", "t0", "--workers", "0");
        assertThat(workers.err()).contains("--workers");
        Run address = run("ingress", "--topology", topo.toString(), "--tun", "t0", "--tun-address", "10.0.0.300/24");
        assertThat(address.exit()).isEqualTo(2);
        assertThat(address.err()).contains("10.0.0.300");
        Run listen = run("egress", "--topology", topo.toString(), "--tun", "t0", "--listen", "1.2.3.4:notaport");
        assertThat(listen.exit()).isEqualTo(2);
        assertThat(listen.err()).contains("--listen");
        Run transport = run("egress", "--topology", topo.toString(), "--tun", "t0", "--transport", "carrier-pigeon");
        assertThat(transport.err()).contains("carrier-pigeon");
        Run offload = run("ingress", "--topology", topo.toString(), "--tun", "t0", "--offload", "sometimes");
        assertThat(offload.exit()).isEqualTo(2);
        assertThat(offload.err()).contains("--offload must be auto or off, was sometimes");
        Run memory = run("ingress", "--topology", topo.toString(), "--tun", "t0", "--max-classifier-memory", "lots");
        assertThat(memory.exit()).isEqualTo(2);
        assertThat(memory.err()).contains("--max-classifier-memory: 'lots' is not a size");
        Run tiny = run("egress", "--topology", topo.toString(), "--tun", "t0", "--max-classifier-memory", "64k");
        assertThat(tiny.exit()).isEqualTo(2);
        assertThat(tiny.err()).contains("--max-classifier-memory must be at least 1MiB, was 64 KiB");
    }

    @Test
    void aMissingOrInvalidTopologyFailsNamingTheFileOrField(@TempDir Path dir) throws Exception {
        Run missing = run("ingress", "--topology", dir.resolve("nope.yaml").toString(), "--tun", "t0");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("nope.yaml").contains("no such file");
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "chains:\n  - {name: web, functions: [ghost]}\negress: {address: 127.0.0.1:4790}\n");
        Run invalid = run("egress", "--topology", bad.toString(), "--tun", "t0");
        assertThat(invalid.exit()).isEqualTo(2);
        assertThat(invalid.err()).contains("chains[0].functions[0]").contains("ghost");
    }
}
