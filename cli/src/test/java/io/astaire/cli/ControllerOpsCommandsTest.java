package io.astaire.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.controller.ControllerServer;
import io.astaire.dataplane.config.NodeStatusReporter;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operations commands (apply, get, delete, describe) against a real controller over a real SQLite file. */
class ControllerOpsCommandsTest {
    static final String TOKEN = "cli-test-token";

    /** One run of the astaire command: exit code, standard output, standard error. */
    record Run(int exit, String out, String err) {}

    @TempDir
    Path dir;
    ControllerServer controller;
    String url;

    @BeforeEach
    void start() {
        controller = ControllerServer.open(dir.resolve("astaire.db"), "127.0.0.1", 0, TOKEN);
        url = "http://127.0.0.1:" + controller.port();
    }

    @AfterEach
    void stop() {
        controller.close();
    }

    static Run astaire(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = AstaireCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static Path example() {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.exists(p.resolve("examples/chain.yaml"))) {
            p = p.getParent();
        }
        return p.resolve("examples/chain.yaml");
    }

    Run apply(String... extra) {
        String[] args = new String[4 + 2 + extra.length];
        args[0] = "apply";
        args[1] = "--controller";
        args[2] = url;
        args[3] = "--token=" + TOKEN;
        args[4] = "-f";
        args[5] = example().toString();
        System.arraycopy(extra, 0, args, 6, extra.length);
        return astaire(args);
    }

    @Test
    void applyTwiceReportsUnchangedTheSecondTime() {
        Run first = apply();
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out()).contains("function/acl created", "chain/web created", "rule/to-servers created", "settings/settings created")
                .contains("applied: version 1 (7 created)");

        Run second = apply();
        assertThat(second.exit()).isZero();
        assertThat(second.out()).contains("function/acl unchanged", "chain/web unchanged").doesNotContain("created")
                .contains("applied: version 1 (7 unchanged)");

        // What the controller holds is what the file says.
        Topology stored = TopologyCodec.parse(astaire("get", "topology", "-o", "json", "--controller", url).out());
        Topology file = TopologyCodec.read(example());
        assertThat(stored.functions()).containsExactlyInAnyOrderElementsOf(file.functions());
        assertThat(stored.chains()).containsExactlyInAnyOrderElementsOf(file.chains());
        assertThat(stored.rules()).containsExactlyInAnyOrderElementsOf(file.rules());
        assertThat(stored.ingress()).isEqualTo(file.ingress());
        assertThat(stored.egress()).isEqualTo(file.egress());
        assertThat(stored.defaultChain()).isEqualTo(file.defaultChain());
    }

    @Test
    void dryRunAndPrune() {
        apply();
        ControllerOpsCommandsTest.astaire("delete", "rule", "icmp", "--controller", url, "--token", TOKEN);
        Run dry = apply("--dry-run");
        assertThat(dry.out()).contains("rule/icmp created (dry run)", "dry run, nothing written");
        assertThat(astaire("get", "rules", "--controller", url).out()).doesNotContain("icmp");
    }

    @Test
    void getShowsTheItemsAsTablesYamlAndJson() {
        apply();
        Run chains = astaire("get", "chains", "--controller", url);
        assertThat(chains.exit()).isZero();
        assertThat(chains.out()).contains("NAME", "SPI", "web", "10", "acl > count > pass");

        Run functions = astaire("get", "functions", "--controller", url);
        assertThat(functions.out()).contains("acl", "127.0.0.1:4791", "counter", "127.0.0.1:4792");

        Run rules = astaire("get", "rules", "--controller", url, "-o", "yaml");
        assertThat(rules.out()).contains("name: to-servers", "destination: 10.20.0.0/24");

        Run one = astaire("get", "chain", "web", "--controller", url, "-o", "json");
        assertThat(one.out()).contains("\"spi\" : 10");

        Run missing = astaire("get", "chain", "nope", "--controller", url);
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("no chain named 'nope'");

        Run bad = astaire("get", "widgets", "--controller", url);
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("functions, chains, rules, nodes");
    }

    @Test
    void getRulesListsThemInTheOrderTheClassifierTriesThem() throws Exception {
        Path file = dir.resolve("rules.yaml");
        Files.writeString(file, """
                functions:
                  - {name: pass, kind: passthrough, address: 127.0.0.1:4791}
                chains:
                  - {name: web, spi: 10, functions: [pass]}
                rules:
                  - {name: a-low, priority: 10, chain: web}
                  - {name: b-high, priority: 300, chain: web}
                  - {name: c-default, chain: web}
                  - {name: aa-low, priority: 10, chain: web}
                  - {name: z-mid, priority: 100, chain: web}
                ingress: {address: 127.0.0.1:4790}
                egress: {address: 127.0.0.1:4794}
                """);
        Run applied = astaire("apply", "--controller", url, "--token=" + TOKEN, "-f", file.toString());
        assertThat(applied.exit()).as(applied.err()).isZero();
        List<String> expected = List.of("b-high", "z-mid", "a-low", "aa-low", "c-default");
        List<String> table = astaire("get", "rules", "--controller", url).out().lines().skip(1)
                .map(l -> l.split("\\s+")[0]).toList();
        assertThat(table).containsExactlyElementsOf(expected);
        var json = TopologyCodec.jsonMapper().readTree(astaire("get", "rules", "--controller", url, "-o", "json").out());
        List<String> names = new java.util.ArrayList<>();
        json.forEach(n -> names.add(n.get("name").asText()));
        assertThat(names).containsExactlyElementsOf(expected);
    }

    @Test
    void describeShowsEachHopWithItsAddressAndLiveCounters() {
        apply();
        String secret = controller.nodeSecret().value();
        try (var acl = new NodeStatusReporter(controller.localUri(), "sf-acl-0", secret, "sf", List.of("acl"), () -> 1,
                () -> Map.of("acl.packets", 1234L, "acl.dropped", 5L), Duration.ofMillis(100));
             var egress = new NodeStatusReporter(controller.localUri(), "egress-0", secret, "egress", List.of(), () -> 1,
                     () -> Map.of("delivered", 999L), Duration.ofMillis(100))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> acl.reportsAccepted() > 0 && egress.reportsAccepted() > 0);

            Run d = astaire("describe", "chain", "web", "--controller", url);
            assertThat(d.exit()).as(d.err()).isZero();
            assertThat(d.out()).contains("Chain:      web", "SPI:        10 forward, 8388618 reverse",
                    "to-servers (priority 100, tcp, to 10.20.0.0/24, ports 1-65535)",
                    "Forward path (SPI 10)", "Reverse path (SPI 8388618)");
            assertThat(d.out()).containsPattern("255\\s+acl\\s+acl\\s+127\\.0\\.0\\.1:4791\\s+sf-acl-0 v1, \\d+s ago: acl\\.dropped=5 acl\\.packets=1234");
            assertThat(d.out()).containsPattern("254\\s+count\\s+counter\\s+127\\.0\\.0\\.1:4792\\s+\\(no node reports it\\)");
            assertThat(d.out()).containsPattern("252\\s+egress\\s+\\(endpoint\\)\\s+127\\.0\\.0\\.1:4794\\s+egress-0 v1, \\d+s ago: delivered=999");
            assertThat(d.out()).containsPattern("252\\s+ingress\\s+\\(endpoint\\)\\s+127\\.0\\.0\\.1:4790");

            Run nodes = astaire("get", "nodes", "--controller", url);
            assertThat(nodes.out()).contains("sf-acl-0", "egress-0", "sf", "acl");
        }
        Run missing = astaire("describe", "chain", "nope", "--controller", url);
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("no chain named 'nope' (chains: web)");
    }

    @Test
    void aNodeThatStoppedReportingIsMarkedStaleByDescribeAndGetNodes() {
        apply();
        var acl = new NodeStatusReporter(controller.localUri(), "sf-acl-0", controller.nodeSecret().value(), "sf", List.of("acl"),
                () -> 1, () -> Map.of("acl.packets", 7L), Duration.ofMillis(100));
        await().atMost(Duration.ofSeconds(10)).until(() -> acl.reportsAccepted() > 0);
        acl.close();
        // Three missed 100 ms reports make it stale; the controller's 10 minute expiry keeps it listed.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(astaire("describe", "chain", "web", "--controller", url).out())
                    .containsPattern("sf-acl-0 v1, \\d+s ago \\(stale: no report for 3 intervals, counters are old\\): acl\\.packets=7");
            assertThat(astaire("get", "nodes", "--controller", url).out()).containsPattern("sf-acl-0\\s+sf\\s+acl\\s+1\\s+\\d+s ago \\(stale\\)");
        });
    }

    @Test
    void describeShowsAVersionANodeRejectedBesideBehind() throws Exception {
        apply();
        String body = "{\"role\":\"sf\",\"functions\":[\"acl\"],\"appliedVersion\":0,"
                + "\"rejected\":{\"version\":1,\"reason\":\"functions.acl.config.rules[0].action: is required\"}}";
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/api/v1/nodes/sf-acl-0/status"))
                .header("Authorization", "Bearer " + io.astaire.model.NodeToken.derive(controller.nodeSecret().value(), "sf-acl-0"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build();
        try (var client = java.net.http.HttpClient.newHttpClient()) {
            assertThat(client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
        assertThat(astaire("describe", "chain", "web", "--controller", url).out())
                .contains("sf-acl-0 v0 (behind) (rejected v1: functions.acl.config.rules[0].action: is required), ");
    }

    @Test
    void getFunctionsSaysWhichConfigsTheControllerChecked() throws Exception {
        apply();
        Path mine = dir.resolve("mine.yaml");
        Files.writeString(mine, "functions: [{name: guard, kind: ttl-guard, address: \"127.0.0.1:4799\", config: {minTtl: 2}}]\n");
        Run applied = astaire("apply", "-f", mine.toString(), "--controller", url, "--token", TOKEN);
        assertThat(applied.exit()).as(applied.err()).isZero();
        Run r = astaire("get", "functions", "--controller", url);
        assertThat(r.out()).contains("CONFIG").containsPattern("acl\\s+acl\\s+\\S+\\s+1\\s+checked")
                .containsPattern("guard\\s+ttl-guard\\s+\\S+\\s+1\\s+unvalidated");
    }

    @Test
    void deleteRemovesAndExplainsConflicts() {
        apply();
        Run inUse = astaire("delete", "chain", "web", "--controller", url, "--token", TOKEN);
        assertThat(inUse.exit()).isEqualTo(1);
        assertThat(inUse.err()).contains("chain 'web' is used by rule 'icmp', rule 'to-servers'");

        assertThat(astaire("delete", "rule", "icmp", "--controller", url, "--token", TOKEN).out()).contains("rule/icmp deleted");
        assertThat(astaire("delete", "rule", "to-servers", "--controller", url, "--token", TOKEN).exit()).isZero();
        assertThat(astaire("delete", "chain", "web", "--controller", url, "--token", TOKEN).exit()).isZero();
        assertThat(astaire("get", "chains", "--controller", url).out()).contains("no chains");

        Run gone = astaire("delete", "chain", "web", "--controller", url, "--token", TOKEN);
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.err()).contains("no chain named 'web'");
    }

    @Test
    void writesWithoutTheTokenSayHowToGetOne() {
        Run r = astaire("apply", "-f", example().toString(), "--controller", url);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("refused the write", "ASTAIRE_TOKEN");
        assertThat(astaire("delete", "rule", "x", "--controller", url, "--token", "wrong").err()).contains("bearer token is wrong");
    }

    @Test
    void aBadFileIsReportedBeforeAnyRequest() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "chains:\n  - name: web\n    spi: lots\n");
        Run r = astaire("apply", "-f", bad.toString(), "--controller", "http://127.0.0.1:1", "--token", TOKEN);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(bad.toString(), "chains[0].spi");
        assertThat(astaire("apply", "-f", dir.resolve("nope.yaml").toString()).err()).contains("no such file");
    }

    @Test
    void applyRefusesAFileWithAnAliasOrADuplicateKeyNamingTheField() throws Exception {
        Path aliased = dir.resolve("aliased.yaml");
        Files.writeString(aliased, """
                functions:
                  - {name: a, kind: counter, address: &addr "127.0.0.1:4791"}
                  - {name: b, kind: counter, address: *addr}
                """);
        Run r = astaire("apply", "-f", aliased.toString(), "--controller", url, "--token", TOKEN);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(aliased.toString(), "functions[1].address", "alias");
        Path twice = dir.resolve("twice.yaml");
        Files.writeString(twice, "functions:\n  - name: a\n    kind: counter\n    kind: acl\n    address: \"127.0.0.1:4791\"\n");
        Run d = astaire("apply", "-f", twice.toString(), "--controller", url, "--token", TOKEN);
        assertThat(d.exit()).isEqualTo(1);
        assertThat(d.err()).contains("functions[0].kind", "'kind' is given twice");
        assertThat(astaire("get", "functions", "--controller", url).out()).contains("no functions");
    }

    @Test
    void aControllerThatIsDownGetsAClearError() {
        Run r = astaire("get", "chains", "--controller", "http://127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("cannot reach the controller at http://127.0.0.1:1: is `astaire controller` running?");
        Run a = astaire("apply", "-f", example().toString(), "--controller", "http://127.0.0.1:1", "--token", TOKEN);
        assertThat(a.err()).contains("cannot reach the controller at http://127.0.0.1:1");
        assertThat(astaire("describe", "chain", "web", "--controller", "http://127.0.0.1:1").err()).contains("cannot reach the controller");
        assertThat(astaire("delete", "chain", "web", "--controller", "http://127.0.0.1:1", "--token", TOKEN).err()).contains("cannot reach the controller");
    }

    @Test
    void helpTeachesWithExamples() {
        for (String cmd : new String[] {"apply", "get", "delete", "describe", "controller"}) {
            Run r = astaire(cmd, "--help");
            assertThat(r.exit()).isZero();
            assertThat(r.out()).as(cmd).contains("Examples:", "astaire " + cmd);
        }
    }
}
