package io.astaire.systest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.cli.lab.ChainLab;
import io.astaire.cli.lab.Lab;
import io.astaire.cli.lab.LabNamespace;
import io.astaire.cli.lab.LabProcess;
import io.astaire.dataplane.oam.TraceHop;
import io.astaire.dataplane.oam.TraceResult;
import io.astaire.dataplane.ops.BuildInfo;
import io.astaire.model.TopologyCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The chain configured live from the controller: the controller runs on the underlay, every node
 * watches it ({@code --controller}), and a change of the classifier rules takes effect at the
 * edges without a restart.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ControllerDrivenChainTest {
    static final String CONTROLLER = "10.99.0.254";
    static final String TOKEN = "systest-token-0123456789";

    private Lab lab;

    @AfterEach
    void teardown() {
        if (lab != null) {
            lab.close();
        }
    }

    static String topology(boolean withIcmpRule) {
        return """
                functions:
                  - {name: acl, kind: acl, address: %s:4790, config: {default: allow}}
                chains:
                  - {name: web, spi: 30, functions: [acl]}
                rules:
                  - {name: tcp-to-servers, priority: 100, protocol: tcp, destination: %s, chain: web}
                %s
                ingress: {address: %s:4790}
                egress: {address: %s:4790}
                """.formatted(ChainLab.underlayAddress("sf1"), ChainLab.SERVER_NET,
                withIcmpRule ? "  - {name: icmp, priority: 50, protocol: icmp, destination: " + ChainLab.SERVER_NET + ", chain: web}" : "",
                ChainLab.UNDERLAY_INGRESS, ChainLab.UNDERLAY_EGRESS);
    }

    /** The controller on the fabric and the three nodes watching it, all ready, with the client's traffic routed into the tunnels. */
    private record Running(ChainLab chain, LabNamespace fabric, String url, Path work, LabProcess controller, List<LabProcess> nodes) {}

    private Running startChain(String test, String topology) throws Exception {
        String reason = Lab.unavailableReason();
        assumeTrue(reason == null, () -> "controller-driven chain skipped: " + reason);
        Path jar = Path.of(System.getProperty("astaire.jar", "../cli/target/astaire.jar")).toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(jar), () -> "controller-driven chain skipped: " + jar + " not built (run ./mvnw package)");
        Path work = Path.of("target").toAbsolutePath().resolve("systest-controller-" + test + "-" + ProcessHandle.current().pid());
        Files.createDirectories(work);
        Path logback = work.resolve("logback.xml");
        Files.writeString(logback, "<configuration><appender name=\"O\" class=\"ch.qos.logback.core.ConsoleAppender\"><encoder>"
                + "<pattern>%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n</pattern></encoder></appender>"
                + "<root level=\"INFO\"><appender-ref ref=\"O\"/></root></configuration>");
        lab = new Lab(work);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ChainLab chain = ChainLab.build(lab, List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx192m", "-XX:+UseSerialGC",
                "-Dlogback.configurationFile=" + logback, "-jar", jar.toString()), 1);
        LabNamespace fabric = chain.ns("fabric");
        lab.address(fabric, "br0", CONTROLLER + "/24");
        String url = "http://" + CONTROLLER + ":8080";

        LabProcess controller = chain.startAstaire("controller", "fabric", "controller", "--db", work.resolve("astaire.db").toString(),
                "--listen", CONTROLLER + ":8080", "--token", TOKEN);
        awaitOk(fabric, controller, url + "/healthz");
        put(fabric, work, url, topology);

        // The node secret the controller generated beside its database: each node derives its own token from it.
        String nodeToken = work.resolve("astaire.db.node-token").toString();
        List<LabProcess> nodes = new ArrayList<>();
        nodes.add(chain.startAstaire("sf-acl", "sf1", "sf", "--function", "acl", "--controller", url, "--workers", "1",
                "--node-token-file", nodeToken, "--report-interval", "1s"));
        nodes.add(chain.startAstaire("ingress", "ingress", "ingress", "--controller", url, "--tun", "tin0",
                "--name", "edge-in", "--report-interval", "1s", "--node-token-file", nodeToken));
        nodes.add(chain.startAstaire("egress", "egress", "egress", "--controller", url, "--tun", "teg0",
                "--name", "edge-out", "--report-interval", "1s", "--node-token-file", nodeToken));
        for (LabProcess p : nodes) {
            chain.awaitReady(p, 9090, 150); // generous: five JVMs start at once on a shared machine
        }
        chain.routeIntoTunnels("tin0", "teg0");
        return new Running(chain, fabric, url, work, controller, nodes);
    }

    @Test
    void rulesChangedAtTheControllerApplyAtTheEdgesWithoutARestart() throws Exception {
        Running running = startChain("rules", topology(true));
        ChainLab chain = running.chain();
        LabNamespace fabric = running.fabric();
        String url = running.url();
        Path work = running.work();
        List<LabProcess> nodes = running.nodes();
        LabNamespace client = chain.ns("client");
        assertThat(client.execResult(20, "ping", "-c", "3", "-i", "0.2", "-W", "2", ChainLab.SERVER).output())
                .contains("3 packets transmitted, 3 received");

        // Remove the ICMP rule: the edges drop pings as unclassified once they applied version 2.
        put(fabric, work, url, topology(false));
        awaitVersion(chain, "ingress", 2);
        awaitVersion(chain, "egress", 2);
        double before = metric(chain, "ingress", "astaire_edge_dropped_packets_total", "reason=\"no_match\"");
        assertThat(client.execResult(20, "ping", "-c", "3", "-i", "0.2", "-W", "1", ChainLab.SERVER).output())
                .contains("3 packets transmitted, 0 received");
        assertThat(metric(chain, "ingress", "astaire_edge_dropped_packets_total", "reason=\"no_match\"") - before).isGreaterThanOrEqualTo(3);

        // Put it back: pings flow again, no process was restarted.
        put(fabric, work, url, topology(true));
        awaitVersion(chain, "ingress", 3);
        awaitVersion(chain, "egress", 3);
        assertThat(client.execResult(20, "ping", "-c", "3", "-i", "0.2", "-W", "2", ChainLab.SERVER).output())
                .contains("3 packets transmitted, 3 received");
        for (LabProcess p : nodes) {
            assertThat(p.isAlive()).as(p.name()).isTrue();
        }
        // The edges report to the controller: role, the version they applied, their counters.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        String reports = "";
        while (System.nanoTime() < deadline) {
            reports = fabric.execResult(10, "curl", "-sS", url + "/api/v1/nodes").output();
            if (reports.contains("\"name\":\"edge-in\",\"role\":\"ingress\",\"functions\":[],\"appliedVersion\":3")
                    && reports.contains("\"name\":\"edge-out\",\"role\":\"egress\",\"functions\":[],\"appliedVersion\":3")) {
                break;
            }
            sleep(300);
        }
        System.out.println("GET /api/v1/nodes: " + reports);
        assertThat(reports).contains("\"name\":\"edge-in\",\"role\":\"ingress\",\"functions\":[],\"appliedVersion\":3",
                "\"name\":\"edge-out\",\"role\":\"egress\",\"functions\":[],\"appliedVersion\":3", "drop_no_match");

        // astaire trace through the controller: it sends the probe and collects the nodes' reports.
        List<String> trace = new ArrayList<>(astaire(work));
        trace.addAll(List.of("trace", "--controller", url, "--chain", "web", "--from", ChainLab.CLIENT, "--to", ChainLab.SERVER,
                "--proto", "tcp", "--dport", "80", "--timeout", "5s")); // returns as soon as the probe is back
        LabNamespace.Result refused = fabric.execResult(60, trace.toArray(String[]::new));
        assertThat(refused.exit()).as(refused.output()).isEqualTo(1);
        assertThat(refused.output()).contains("the controller refused the write", "pass --token");
        trace.addAll(List.of("--token", TOKEN, "--json"));
        LabNamespace.Result traced = fabric.execResult(60, trace.toArray(String[]::new));
        System.out.println("astaire trace through the controller: " + traced.output());
        assertThat(traced.exit()).as(traced.output()).isZero();
        TraceResult result = TopologyCodec.parse(traced.output().substring(traced.output().indexOf('{')), TraceResult.class);
        assertThat(result.outcome()).isEqualTo(TraceResult.ARRIVED);
        assertThat(result.hops()).extracting(TraceHop::label)
                .containsExactly("ingress", "acl", "egress", "egress", "acl", "ingress");
        assertThat(result.hops().get(1).siIn()).isEqualTo(255);
        assertThat(result.hops().get(1).address()).isEqualTo(ChainLab.underlayAddress("sf1") + ":4790");
    }

    /** The command that runs the packaged astaire in a lab namespace. */
    private static List<String> astaire(Path work) {
        Path jar = Path.of(System.getProperty("astaire.jar", "../cli/target/astaire.jar")).toAbsolutePath().normalize();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString());
    }

    /**
     * What an operator scrapes: every role (controller, sf, ingress, egress) has the JVM, process
     * and build meters, the nodes say they are connected to the controller and when they last
     * synced, and the Grafana dashboard under deploy/grafana reads only names these /metrics export.
     */
    @Test
    void everyRoleExportsTheOperatorsMetricsAndEveryNameTheDashboardReads() throws Exception {
        Running running = startChain("metrics", topology(true));
        ChainLab chain = running.chain();
        // Traffic through the chain, so every per-path series exists.
        assertThat(chain.ns("client").execResult(20, "ping", "-c", "3", "-i", "0.2", "-W", "2", ChainLab.SERVER).output())
                .contains("3 packets transmitted, 3 received");
        // GC pauses are timed from the first collection on: have one in every process.
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        List<LabProcess> all = new ArrayList<>(running.nodes());
        all.add(running.controller());
        for (LabProcess p : all) {
            LabNamespace.Result gc = p.namespace().execResult(30, jcmd, Long.toString(p.pid()), "GC.run");
            assertThat(gc.ok()).as("jcmd GC.run on " + p.name() + ": " + gc.output()).isTrue();
        }
        Map<String, String> scrapes = new LinkedHashMap<>();
        scrapes.put("controller", running.fabric().execResult(10, "curl", "-sf", "-m", "5", running.url() + "/metrics").output());
        long start = System.currentTimeMillis() / 1000;
        for (String role : List.of("sf1", "ingress", "egress")) {
            // The status reporter runs every second: wait for a report the controller accepted.
            awaitMetric(chain, role, "astaire_controller_last_report_timestamp_seconds", 1);
            scrapes.put(role, chain.ns(role).execResult(10, "curl", "-sf", "-m", "5", "http://127.0.0.1:9090/metrics").output());
        }
        Set<String> exported = new TreeSet<>();
        scrapes.forEach((role, text) -> {
            PromText prom = PromText.parse(text);
            assertThat(prom.sum("astaire_build_info", "version=\"" + BuildInfo.version() + "\"")).as(role + " build info").isEqualTo(1);
            for (String name : List.of("jvm_gc_pause_seconds_count", "jvm_memory_used_bytes", "jvm_threads_live_threads",
                    "jvm_classes_loaded_classes", "process_uptime_seconds", "process_cpu_time_ns_total", "process_files_open_files")) {
                assertThat(prom.sum(name)).as(role + " " + name).isGreaterThan(0);
            }
            if (!role.equals("controller")) {
                assertThat(prom.sum("astaire_controller_connected")).as(role + " connected").isEqualTo(1);
                assertThat(prom.sum("astaire_controller_last_sync_timestamp_seconds")).as(role + " last sync")
                        .isBetween(start - 120.0, start + 120.0);
                assertThat(prom.sum("astaire_controller_failures_total", "call=\"watch\"", "reason=\"unreachable\""))
                        .as(role + " watch failures").isZero();
            }
            exported.addAll(GrafanaDashboard.exported(text));
        });
        assertThat(PromText.parse(scrapes.get("controller")).sum("astaire_controller_nodes", "state=\"fresh\"")).isEqualTo(3);
        assertThat(PromText.parse(scrapes.get("controller")).sum("astaire_controller_topology_version")).isEqualTo(1);
        Set<String> read = GrafanaDashboard.metricNames(GrafanaDashboard.CHAIN);
        assertThat(read).as("metric names the dashboard reads").hasSizeGreaterThan(20);
        assertThat(exported).as("names exported by the controller, sf, ingress and egress; "
                + GrafanaDashboard.CHAIN + " must read only these").containsAll(read);
    }

    private static void awaitMetric(ChainLab chain, String role, String name, double atLeast) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            LabNamespace.Result r = chain.ns(role).execResult(10, "curl", "-sf", "-m", "5", "http://127.0.0.1:9090/metrics");
            if (r.ok() && PromText.parse(r.output()).sum(name) >= atLeast) {
                return;
            }
            sleep(200);
        }
        throw new AssertionError(role + ": " + name + " never reached " + atLeast);
    }

    private static void put(LabNamespace ns, Path work, String url, String yaml) throws Exception {
        Path body = Files.createTempFile(work, "topology", ".yaml");
        Files.writeString(body, yaml);
        LabNamespace.Result r = ns.execResult(20, "curl", "-sS", "-f", "-X", "PUT", "-H", "Authorization: Bearer " + TOKEN,
                "-H", "Content-Type: application/yaml", "--data-binary", "@" + body, url + "/api/v1/topology");
        assertThat(r.ok()).as("PUT /api/v1/topology: " + r.output()).isTrue();
    }

    private static void awaitOk(LabNamespace ns, LabProcess p, String url) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            assertThat(p.isAlive()).as(p.name() + " exited: " + p.output()).isTrue();
            if (ns.execResult(5, "curl", "-sf", "-m", "1", "-o", "/dev/null", url).ok()) {
                return;
            }
            sleep(200);
        }
        throw new AssertionError(url + " not answering: " + p.output());
    }

    private static void awaitVersion(ChainLab chain, String role, long version) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        double seen = -1;
        while (System.nanoTime() < deadline) {
            seen = metric(chain, role, "astaire_topology_version");
            if (seen >= version) {
                return;
            }
            sleep(200);
        }
        throw new AssertionError(role + " still on topology version " + seen + ", expected " + version);
    }

    private static double metric(ChainLab chain, String role, String name, String... labels) {
        LabNamespace.Result r = chain.ns(role).execResult(10, "curl", "-sf", "-m", "5", "http://127.0.0.1:9090/metrics");
        assertThat(r.ok()).as(role + " /metrics").isTrue();
        return PromText.parse(r.output()).sum(name, labels);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
