package io.astaire.systest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.astaire.cli.demo.DemoTopology;
import io.astaire.dataplane.tun.ThreadNetworkNamespace;
import io.astaire.systest.browser.HeadlessChromium;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The controller's web view in a real browser: {@code astaire demo --ui-port 0} runs, a headless
 * Chromium loads the {@code /ui} URL the demo prints (relayed from the controller's namespace to
 * this machine's loopback), and the test reads the DOM: every hop of the chain is drawn and listed,
 * the packet rates are above zero and the totals rise while the demo's traffic flows, a connection
 * to the port the acl denies shows up as a {@code function_verdict} drop on the acl hop, the page
 * says so when the controller stops and recovers by itself when it is back, and a
 * trace started from the page (to the port the ACL denies) shows its hops and marks the acl hop
 * where the probe was dropped. Screenshots: {@code target/web-view.png} (live) and
 * {@code target/web-view-trace.png} (after the trace). Skipped, saying why, without root or without Chromium.
 */
class WebViewTest {
    private static final List<String> HOPS = List.of("ingress", "acl", "count", "pass", "egress");
    private static final Duration GENEROUS = Duration.ofSeconds(90);

    /** Each hop's table row as the page shows it: hop -> {pps, total, drops, dropTotal, version}. */
    private static final String READ_ROWS = """
            JSON.stringify([...document.querySelectorAll('#hops tbody tr')].map(tr => {
              const f = name => tr.querySelector('[data-field="' + name + '"]');
              return {hop: tr.dataset.hop, node: tr.dataset.node || null,
                      pps: f('pps-all') ? f('pps-all').dataset.value : '', total: f('pps-all') ? f('pps-all').dataset.total : '',
                      drops: f('drops') ? f('drops').textContent : '', dropTotal: f('drops') ? f('drops').dataset.total : '0',
                      version: f('version') ? f('version').textContent : ''};
            }))""";

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void theDemosWebViewShowsEveryHopLiveRatesADropAndATrace() throws Exception {
        assumeTrue(DemoSmokeTest.isRoot(), "the demo needs root (network namespaces, TUN devices)");
        Path jar = DemoSmokeTest.jar();
        Path binary = HeadlessChromium.find();
        assumeTrue(binary != null, "chromium is not installed (sudo .ci/install-test-tools installs Debian's 'chromium')");
        HeadlessChromium browser;
        try {
            browser = HeadlessChromium.start(binary, 1400, 640, Duration.ofSeconds(60));
        } catch (HeadlessChromium.CannotStart e) {
            assumeTrue(false, "chromium cannot start here: " + e.getMessage());
            return;
        }
        long t0 = System.nanoTime();
        Path output = Files.createTempFile("astaire-demo-web-view", ".out");
        Process demo = new ProcessBuilder(DemoSmokeTest.java(), "-jar", jar.toString(), "demo", "--non-interactive",
                "--duration", "600", "--ui-port", "0")
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        Process restarted = null;
        try (browser) {
            Matcher url = Pattern.compile("web view: (http://127\\.0\\.0\\.1:\\d+/ui#token=[0-9a-f]+)").matcher("");
            await("the demo prints the web view's URL").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(300))
                    .until(() -> {
                        assertThat(demo.isAlive()).as("the demo runs:\n" + Files.readString(output)).isTrue();
                        return url.reset(Files.readString(output)).find();
                    });
            String before = Files.readString(output);
            Matcher prefix = Pattern.compile("namespaces: (astaire-\\d+-[0-9a-f]+-)\\{").matcher(before);
            assertThat(prefix.find()).as(before).isTrue();
            System.out.printf("demo up after %.1f s, web view %s%n", (System.nanoTime() - t0) / 1e9, url.group(1).replaceAll("token=.*", "token=..."));

            browser.navigate(url.group(1));

            // Every hop drawn on the graph and listed in the table, each with the node serving it.
            await("every hop on the graph and in the table").atMost(GENEROUS).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                JsonNode drawn = browser.evaluate("JSON.stringify([...document.querySelectorAll('#graph g.hop')].map(g => g.dataset.hop))");
                assertThat(parse(drawn)).as("hops on the graph").extracting(JsonNode::asText).containsExactlyElementsOf(HOPS);
                Map<String, JsonNode> rows = rows(browser);
                assertThat(rows.keySet()).containsExactlyInAnyOrderElementsOf(HOPS);
                rows.values().forEach(r -> assertThat(r.get("node").isNull()).as("a node reports " + r).isFalse());
                rows.values().forEach(r -> assertThat(r.get("version").asText()).as("topology version of " + r).matches("v\\d+"));
            });
            assertThat(browser.evaluate("document.querySelector('#status').textContent").asText()).startsWith("live");

            // Rates above zero and totals rising on every hop while the demo's traffic flows.
            Map<String, Long> firstTotals = new HashMap<>();
            rows(browser).forEach((hop, r) -> firstTotals.put(hop, r.get("total").asLong()));
            await("every hop's packet rate above 0 and its total rising").atMost(GENEROUS).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> rows(browser).forEach((hop, r) -> {
                        assertThat(r.get("pps").asText()).as(hop + " pkt/s").isNotEmpty();
                        assertThat(Double.parseDouble(r.get("pps").asText())).as(hop + " pkt/s").isPositive();
                        assertThat(r.get("total").asLong()).as(hop + " packets").isGreaterThan(firstTotals.get(hop));
                    }));

            // A connection to the denied port, from the client namespace: the acl's drop shows.
            long aclDrops = rows(browser).get("acl").get("dropTotal").asLong();
            boolean connected = deniedConnection(prefix.group(1) + "client");
            assertThat(connected).as("the acl denies TCP to port 8023").isFalse();
            await("the acl's drop after the denied connection").atMost(GENEROUS).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                JsonNode acl = rows(browser).get("acl");
                assertThat(acl.get("dropTotal").asLong()).as("acl drops " + acl).isGreaterThan(aclDrops);
                assertThat(acl.get("drops").asText()).contains("function_verdict");
            });

            Path live = Path.of("target", "web-view.png");
            browser.screenshot(live);
            assertThat(Files.size(live)).isGreaterThan(10_000);

            // The controller stops: the page says so; it comes back on the same database: the page recovers by itself.
            Matcher logs = Pattern.compile("logs:\\s+(\\S+)").matcher(before);
            assertThat(logs.find()).isTrue();
            restarted = restartController(prefix.group(1) + "controller", Path.of(logs.group(1)), browser);
            await("the page back to live with every hop's node after the controller's restart").atMost(GENEROUS)
                    .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        assertThat(browser.evaluate("document.querySelector('#status').textContent").asText()).startsWith("live");
                        Map<String, JsonNode> rows = rows(browser);
                        assertThat(rows.keySet()).containsExactlyInAnyOrderElementsOf(HOPS);
                        rows.values().forEach(r -> assertThat(r.get("node").isNull()).as("a node reports again " + r).isFalse());
                    });

            // A trace from the page, with the token the URL's fragment gave it.
            assertThat(browser.evaluate("document.querySelector('#trace-form').elements.token.value").asText())
                    .as("the token from #token=... is in the form").isNotEmpty();
            assertThat(browser.evaluate("location.hash").asText()).as("and no longer in the address bar").doesNotContain("token");
            browser.evaluate("""
                    (() => { const f = document.querySelector('#trace-form');
                      f.elements.destination.value = '10.2.0.2'; f.elements.destinationPort.value = '8023';
                      f.requestSubmit(); return true; })()""");
            await("the trace's answer").atMost(GENEROUS).pollInterval(Duration.ofMillis(300)).until(() -> {
                String m = browser.evaluate("document.querySelector('#trace-message').textContent").asText();
                return !m.isEmpty() && !m.startsWith("tracing");
            });
            String traced = browser.evaluate("document.querySelector('#trace-message').textContent").asText();
            System.out.println("trace from the page: " + traced);
            assertThat(traced).startsWith("dropped").contains("acl", "function_verdict", "rule no-" + DemoTopology.DENIED_PORT);
            assertThat(browser.evaluate("document.querySelectorAll('#trace-hops li').length").asInt())
                    .as("the ingress that classified it, the acl that dropped it").isEqualTo(2);
            assertThat(browser.evaluate("!!document.querySelector('#graph g.hop.dropped[data-hop=\"acl\"]')").asBoolean())
                    .as("the acl hop is marked as where the probe was dropped").isTrue();

            Path traceShot = Path.of("target", "web-view-trace.png");
            browser.screenshot(traceShot);
            System.out.printf("web view checked in %.1f s; screenshots %s, %s%n", (System.nanoTime() - t0) / 1e9,
                    live.toAbsolutePath(), traceShot.getFileName());
        } finally {
            if (restarted != null) {
                // Not the demo's own process: the demo would leave it running in a deleted namespace.
                restarted.destroy();
                if (!restarted.waitFor(30, TimeUnit.SECONDS)) {
                    restarted.destroyForcibly();
                }
            }
            if (demo.isAlive()) {
                new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).start().waitFor(10, TimeUnit.SECONDS);
                if (!demo.waitFor(60, TimeUnit.SECONDS)) {
                    demo.destroyForcibly();
                }
            }
            String text = Files.readString(output);
            System.out.println(text.substring(Math.max(0, text.length() - 400)));
            assertThat(DemoSmokeTest.namespacesOf(demo.pid())).as("namespaces left by the demo").isEmpty();
            Files.deleteIfExists(output);
        }
    }

    /**
     * Stops the demo's controller (SIGTERM), waits for the page to say it is unreachable, and
     * starts it again with the same command line (database, token, port) in its namespace.
     */
    private static Process restartController(String namespace, Path logDir, HeadlessChromium browser) throws Exception {
        List<Long> pids = new java.util.ArrayList<>();
        List<String> command = null;
        for (long pid : DemoSmokeTest.processesMentioning(logDir.resolve("controller.db").toString())) {
            List<String> args = List.of(new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    java.nio.charset.StandardCharsets.UTF_8).split("\0"));
            if (args.getFirst().endsWith("/java") && args.contains("controller")) {
                pids.add(pid);
                command = args;
            }
        }
        assertThat(pids).as("the demo's controller process").hasSize(1);
        assertThat(command).contains("--token");
        ProcessHandle controller = ProcessHandle.of(pids.getFirst()).orElseThrow();
        controller.destroy();
        assertThat(controller.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();
        await("the page says the controller is unreachable").atMost(GENEROUS).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            assertThat(browser.evaluate("document.querySelector('#status').textContent").asText()).startsWith("controller unreachable since");
            assertThat(browser.evaluate("document.body.classList.contains('offline')").asBoolean()).isTrue();
        });
        List<String> again = new java.util.ArrayList<>(List.of("ip", "netns", "exec", namespace));
        again.addAll(command);
        return new ProcessBuilder(again).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve("controller-restarted.log").toFile())).start();
    }

    private static Map<String, JsonNode> rows(HeadlessChromium browser) {
        Map<String, JsonNode> rows = new HashMap<>();
        for (JsonNode r : parse(browser.evaluate(READ_ROWS))) {
            rows.put(r.get("hop").asText(), r);
        }
        return rows;
    }

    private static JsonNode parse(JsonNode json) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.asText());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the page returned " + json, e);
        }
    }

    /** Tries TCP to the server's denied port from a thread in the client namespace; true if it connected. */
    private static boolean deniedConnection(String clientNamespace) throws Exception {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("denied-connection").start(() -> {
            try {
                ThreadNetworkNamespace.enter(clientNamespace);
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("10.2.0.2", 8023), 2000);
                    result.complete(true);
                }
            } catch (java.io.IOException e) {
                result.complete(false); // dropped by the acl: the SYN never arrives
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result.get(30, TimeUnit.SECONDS);
    }
}
