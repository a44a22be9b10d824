package io.astaire.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code astaire controller} as an operator starts it: a generated token, printed once, kept beside the database. */
class ControllerCommandTest {
    @TempDir
    Path dir;

    /** Runs the command on a thread until {@code stop} is released; returns what it printed. */
    private String runUntil(Path db, java.util.function.Consumer<String> whileRunning) throws Exception {
        ControllerCommand command = new ControllerCommand();
        CommandLine cli = new CommandLine(command);
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        Thread t = Thread.ofPlatform().start(() -> cli.execute("--db", db.toString(), "--listen", "127.0.0.1:0"));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> out.toString().contains("try:"));
            whileRunning.accept(out.toString());
        } finally {
            command.stop.countDown();
            t.join(10_000);
        }
        return out.toString();
    }

    @Test
    void generatesTheTokenAtFirstStartAndKeepsIt() throws Exception {
        Path db = dir.resolve("state/astaire.db");
        String[] token = new String[1];
        String first = runUntil(db, printed -> {
            Matcher m = Pattern.compile("export ASTAIRE_TOKEN=([0-9a-f]{64})").matcher(printed);
            assertThat(m.find()).as(printed).isTrue();
            token[0] = m.group(1);
            Matcher port = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(printed);
            assertThat(port.find()).isTrue();
            String url = "http://127.0.0.1:" + port.group(1);
            var ok = ControllerOpsCommandsTest.astaire("apply", "-f", ControllerOpsCommandsTest.example().toString(), "--controller", url, "--token", token[0]);
            assertThat(ok.exit()).as(ok.err()).isZero();
        });
        assertThat(first).contains("generated the write token");
        assertThat(Files.readString(db.resolveSibling("astaire.db.token")).trim()).isEqualTo(token[0]);
        assertThat(Files.getPosixFilePermissions(db.resolveSibling("astaire.db.token")).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");

        String second = runUntil(db, printed -> {
            Matcher port = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(printed);
            assertThat(port.find()).isTrue();
            var chains = ControllerOpsCommandsTest.astaire("get", "chains", "--controller", "http://127.0.0.1:" + port.group(1));
            assertThat(chains.out()).as("the database kept what was applied").contains("web");
        });
        assertThat(second).doesNotContain(token[0]).contains("write token: in " + db.resolveSibling("astaire.db.token"))
                .contains("(version 1)");
    }

    @Test
    void aSecondControllerOnTheSameDatabaseExitsNonZeroWhileTheFirstKeepsServing() throws Exception {
        Path db = dir.resolve("astaire.db");
        runUntil(db, printed -> {
            StringWriter err = new StringWriter();
            CommandLine second = new CommandLine(new ControllerCommand());
            second.setOut(new PrintWriter(new StringWriter(), true));
            second.setErr(new PrintWriter(err, true));
            assertThat(second.execute("--db", db.toString(), "--listen", "127.0.0.1:0")).isEqualTo(1);
            assertThat(err.toString()).contains("database in use by pid " + ProcessHandle.current().pid());
            Matcher port = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(printed);
            assertThat(port.find()).isTrue();
            var chains = ControllerOpsCommandsTest.astaire("get", "chains", "--controller", "http://127.0.0.1:" + port.group(1));
            assertThat(chains.exit()).as("the first still serves").isZero();
        });
    }

    @Test
    void printsANodesOwnTokenFromTheNodeSecret() throws Exception {
        Path db = dir.resolve("astaire.db");
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new ControllerCommand());
        cli.setOut(new PrintWriter(out, true));
        assertThat(cli.execute("--db", db.toString(), "--print-node-token", "sf-acl-0")).isZero();
        String secret = Files.readString(db.resolveSibling("astaire.db.node-token")).trim();
        assertThat(out.toString().trim()).isEqualTo("sf-acl-0:" + io.astaire.model.NodeToken.derive(secret, "sf-acl-0"));
        assertThat(Files.getPosixFilePermissions(db.resolveSibling("astaire.db.node-token")).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
    }

    @Test
    void aBadListenAddressIsNamed() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ControllerCommand());
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute("--db", dir.resolve("x.db").toString(), "--listen", "localhost")).isEqualTo(2);
        assertThat(err.toString()).contains("--listen", "HOST:PORT");
    }

    @Test
    void aBadClassifierMemoryLimitIsNamed() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ControllerCommand());
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute("--db", dir.resolve("x.db").toString(), "--max-classifier-memory", "12 parsecs")).isEqualTo(2);
        assertThat(err.toString()).contains("--max-classifier-memory: '12 parsecs' is not a size");
    }
}
