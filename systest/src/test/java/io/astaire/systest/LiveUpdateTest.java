package io.astaire.systest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.astaire.cli.demo.ControllerNamespace;
import io.astaire.cli.demo.PromSamples;
import io.astaire.cli.lab.ChainLab;
import io.astaire.cli.lab.Lab;
import io.astaire.cli.lab.LabNamespace;
import io.astaire.cli.lab.LabProcess;
import io.astaire.systest.live.LiveChange;
import io.astaire.systest.live.UdpProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Changing a running system without losing a packet (make-before-break, issue 10): real astaire
 * processes in the lab (ingress, five function nodes, egress) take their chain from a real
 * controller in its own namespace, while a generator sends two UDP flows (sequence numbered) from
 * the client to a sink on the server: the moving flow first at 1 000 then at 20 000 datagrams/s,
 * the steady flow at 1 000/s beside it. Function
 * nodes sf1-sf4 run {@code dscp} functions mark-a..mark-d with their own mark (10, 20, 30, 40), so
 * the DSCP a datagram arrives with tells which path it took; sf5 runs mark-d too, the target of a
 * move.
 *
 * <p>At each rate every kind of change is applied under traffic, one after the other: a classifier
 * rule, a chain's function list (insert, reorder, remove, replace), a function's config, its kind
 * (and back), its replica count up and down, and its address (moved to sf5). At 20 000/s the
 * controller is also killed for 20 s ({@code -Dastaire.liveUpdate.controllerDownMillis}) and
 * restarted on the same database, and the next change reaches the nodes. The steady flow (its own rule and chain through sf1, which the chain changes
 * touch) and the moving flow must both lose <b>nothing</b>; the moving flow must take each new
 * path without the controller falling back to its switch timeout. Every change's time to the new
 * path and every flow's account go to {@code target/live-update-results.txt}.
 */
class LiveUpdateTest {
    /** The moving flow's rates, datagrams per second; the steady flow runs at {@link #STEADY_RATE} beside it. */
    static final int[] RATES = {1000, 20_000};
    static final int STEADY_RATE = 1000;
    static final String TOKEN = "live-update-test-token";
    static final String CONTROLLER = "10.99.0.100";

    private Lab lab;
    private final List<String> report = new ArrayList<>();

    private boolean reportWritten;

    @AfterEach
    void teardown() throws Exception {
        if (lab != null) {
            if (!reportWritten && !report.isEmpty()) {
                writeReport("(the run stopped early: what it measured until then)");
            }
            lab.close();
        }
    }

    /** Writes what the run measured to {@code target/live-update-results.txt}, also when it failed half-way. */
    private void writeReport(String note) throws Exception {
        report.add("longest GC pause of each node JVM (ms): " + longestGcPauses(lab.logDir()));
        if (!note.isEmpty()) {
            report.add(note);
        }
        String text = String.join(System.lineSeparator(), report) + System.lineSeparator();
        System.out.print(text);
        Files.writeString(Path.of("target", "live-update-results.txt"), text);
        reportWritten = true;
    }

    /**
     * The data plane and the instrument (generator, sink) run before anything else on the machine, as an
     * operator runs a data plane (docs/node.md, "A shared machine"): with builds or hogs at the same
     * priority a starved ingress overflows its TUN queue (seen: 1-s stalls at a load of 30 on two
     * cores), which is a shortage of CPU, not what this test is about. The controller keeps the
     * default priority: a slow controller must not cost packets, and this shows it does not.
     */
    static final List<String> FIRST_CALL_ON_THE_CPU = List.of("nice", "-n", "-10");

    /**
     * The controller's fallback for a hop that never reports (default 10 s). Longer here because the
     * test checks that the edges switch on readiness, and on two cores under a load of 25 nodes in
     * second-long GC pauses took more than 10 s to report; the fallback is the operator's choice.
     */
    static final int SWITCH_TIMEOUT_SECONDS = 60;

    /** How long the controller stays killed in the last round (the probe: 20 s under 20 000/s). */
    static final long CONTROLLER_DOWN_MILLIS = Long.getLong("astaire.liveUpdate.controllerDownMillis", 20_000);

    /** One run in CI; {@code -Dastaire.liveUpdate.repeat=5} runs it five times in a row in one JVM, as issue 10 asks. */
    static IntStream runs() {
        return IntStream.rangeClosed(1, Integer.getInteger("astaire.liveUpdate.repeat", 1));
    }

    @ParameterizedTest(name = "run {0}")
    @MethodSource("runs")
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void everyKindOfChangeUnderTrafficLosesNothingAndTheDataplaneOutlivesTheController(int run) throws Exception {
        String reason = Lab.unavailableReason();
        assumeTrue(reason == null, () -> "live update test skipped: " + reason);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3 for the UDP generator and sink");
        Path jar = DemoSmokeTest.jar();
        int steadyPort = 20000 + ThreadLocalRandom.current().nextInt(20000);
        int movingPort = steadyPort + 1;

        Path work = Path.of("target").toAbsolutePath().resolve("live-" + ProcessHandle.current().pid() + "-" + run);
        Files.createDirectories(work);
        lab = new Lab(work);
        List<String> node = new ArrayList<>(FIRST_CALL_ON_THE_CPU);
        node.addAll(List.of(DemoSmokeTest.java(), "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-XX:+UseSerialGC",
                "-XX:MetaspaceSize=64m", // no "Metadata GC Threshold" full collection while the JIT and the functions load
                "-Xlog:gc:file=" + lab.logDir().resolve("gc-%p.log"), "-jar", jar.toString()));
        ChainLab chain = ChainLab.build(lab, node, 5);
        LabNamespace ctl = ControllerNamespace.attach(chain, CONTROLLER);
        Path db = work.resolve("controller.db");
        LabProcess controller = startController(chain, ctl, db, "controller");
        apply(ctl, topology(steadyPort, movingPort));

        String url = "http://" + CONTROLLER + ":8080";
        String nodeToken = db + ".node-token"; // the node secret the controller generated: each node derives its own token
        List<LabProcess> nodes = new ArrayList<>();
        nodes.add(chain.startAstaire("ingress", "ingress", "ingress", "--controller", url, "--tun", "tin0",
                "--underlay-mtu", "1500", "--report-interval", "1s", "--node-token-file", nodeToken));
        for (int i = 1; i <= 5; i++) {
            String function = "mark-" + (char) ('a' + Math.min(i, 4) - 1); // sf5 runs mark-d too: where it moves
            nodes.add(chain.startAstaire("sf-" + function + "-" + i, "sf" + i, "sf", "--function", function,
                    "--controller", url, "--workers", "1", "--name", "sf" + i, "--report-interval", "1s",
                    "--node-token-file", nodeToken));
        }
        nodes.add(chain.startAstaire("egress", "egress", "egress", "--controller", url, "--tun", "teg0",
                "--underlay-mtu", "1500", "--report-interval", "1s", "--node-token-file", nodeToken)); // no reverse paths: nothing to take the MTU from
        for (LabProcess p : nodes) {
            chain.awaitReady(p, 9090, 300); // seven JVMs starting at once on two busy cores: minutes, not seconds
        }
        chain.routeIntoTunnels("tin0", "teg0");
        // A stalled JVM on this shared machine must not turn into kernel queue drops that look like update losses.
        chain.ns("ingress").exec("ip", "link", "set", "tin0", "txqueuelen", "20000");
        chain.ns("egress").exec("ip", "link", "set", "teg0", "txqueuelen", "20000");

        // The first version timed out waiting for nodes that did not exist yet: only what follows counts.
        int controllerLogBefore = controller.output().length();
        List<Round> rounds = new ArrayList<>();
        for (int r = 0; r < RATES.length; r++) {
            int rate = RATES[r];
            if (r > 0) {
                apply(ctl, topology(steadyPort, movingPort)); // back to the start, without traffic
            }
            awaitReadyVersion(ctl);
            rounds.add(round(chain, ctl, db, work, rate, steadyPort, movingPort, r == RATES.length - 1 ? controller : null));
        }

        String controllerLogs = controller.output().substring(controllerLogBefore) + String.join("\n", lab.processes().stream()
                .filter(p -> p.name().equals("controller-restarted")).map(LabProcess::output).toList());
        writeReport("");

        for (Round round : rounds) {
            String at = "at " + round.rate + "/s: ";
            assertThat(round.sentLine).as(at + "generator").contains("errors=0");
            for (Map.Entry<String, JsonNode> e : Map.of("steady", round.steady, "moving", round.moving).entrySet()) {
                JsonNode f = e.getValue();
                long sent = e.getKey().equals("steady") ? round.steadySent : round.movingSent;
                assertThat(f.path("missing").asLong()).as(at + e.getKey() + " flow: no datagram lost (" + f + ")").isZero();
                assertThat(f.path("unique").asLong()).as(at + e.getKey() + " flow: every datagram arrived (" + f + ")").isEqualTo(sent);
            }
            assertThat(round.steady.path("dscp").size()).as(at + "steady flow only ever took its own path (sf1, DSCP 10)").isEqualTo(1);
            for (Map.Entry<String, Double> e : round.followed.entrySet()) {
                // Before the switch timeout: the edges switched because every hop reported, not after giving up
                // (the controller's log is checked for that below; how long it took is in the report).
                assertThat(e.getValue()).as(at + "seconds until the moving flow took the new path after: " + e.getKey())
                        .isLessThan((double) SWITCH_TIMEOUT_SECONDS);
            }
        }
        assertThat(controllerLogs).as("the edges never switched on the timeout, always on readiness")
                .doesNotContain("switching the edges after");
    }

    /** What one rate's run produced. */
    private record Round(int rate, String sentLine, long steadySent, long movingSent, JsonNode steady, JsonNode moving,
                         Map<String, Double> followed) {}

    /** Every change kind of issue 10 in a row, under traffic at {@code rate}, from the starting topology. */
    private Round round(ChainLab chain, LabNamespace ctl, Path db, Path work, int rate, int steadyPort, int movingPort,
                        LabProcess controllerToRestart) throws Exception {
        String tag = "r" + rate;
        Path stopGen = work.resolve("stop-generator-" + tag);
        Path stopSink = work.resolve("stop-sink-" + tag);
        LabProcess sink = lab.start("udp-sink-" + tag, chain.ns("server"), prioritized("/usr/bin/python3", "-c", UdpProbe.SINK,
                steadyPort + "," + movingPort, stopSink.toString()));
        await(() -> sink.output().contains("listening"), 15, () -> "sink listening: " + sink.output());
        LabProcess generator = lab.start("udp-generator-" + tag, chain.ns("client"), prioritized("/usr/bin/python3", "-c",
                UdpProbe.GENERATOR, ChainLab.SERVER, stopGen.toString(), "300", Integer.toString(Math.max(rate, STEADY_RATE)),
                steadyPort + "," + movingPort, STEADY_RATE + "," + rate));

        // Both flows arrive on their first paths: steady via sf1 (DSCP 10), moving via alpha = sf2 (20).
        await(() -> UdpProbe.received(sink, steadyPort) > STEADY_RATE && UdpProbe.received(sink, movingPort) > rate, 30,
                () -> "both flows arrive: " + tail(sink));
        assertThat(UdpProbe.firstDscpChange(sink, steadyPort, 10, 0)).as("steady flow marked by sf1").isPresent();
        assertThat(UdpProbe.firstDscpChange(sink, movingPort, 20, 0)).as("moving flow marked by sf2").isPresent();

        Map<String, Double> followed = new LinkedHashMap<>();
        List<double[]> windows = new ArrayList<>(); // apply wall time per change, for the loss account
        List<String> names = new ArrayList<>();
        for (LiveChange c : changes()) {
            double at = now();
            windows.add(new double[] {at});
            names.add(c.kind());
            Double seconds = change(chain, ctl, sink, movingPort, c);
            if (seconds != null) {
                followed.put(c.kind(), seconds);
            }
            report.add(String.format(Locale.ROOT, "%d/s %-12s %-44s %s", rate, c.kind(), c.description(),
                    seconds == null ? "no path change (same paths, new version)" : String.format(Locale.ROOT,
                            "moving flow on the new path %.3f s after the apply request", seconds)));
            sleep(400);
        }

        if (controllerToRestart != null) {
            // The controller is killed (no shutdown hook runs): the nodes keep their tables and keep forwarding.
            double stoppedAt = now();
            windows.add(new double[] {stoppedAt});
            names.add("controller-down");
            ProcessHandle.of(controllerToRestart.pid()).ifPresent(ProcessHandle::destroyForcibly);
            await(() -> !controllerToRestart.isAlive(), 10, () -> "the killed controller exits");
            sleep(CONTROLLER_DOWN_MILLIS);
            double downUntil = now();
            long steadyWhileDown = UdpProbe.receivedBetween(sink, steadyPort, stoppedAt, downUntil);
            long movingWhileDown = UdpProbe.receivedBetween(sink, movingPort, stoppedAt, downUntil);
            report.add(String.format(Locale.ROOT, "%d/s controller down %.1f s: steady flow received %d, moving flow %d datagrams",
                    rate, downUntil - stoppedAt, steadyWhileDown, movingWhileDown));
            // What must hold: the flows go on while the controller is dead; that none of their datagrams is
            // lost is checked by sequence number below. Their rate here depends on the CPU this machine
            // gives the generator, so it is reported, not asserted.
            assertThat(steadyWhileDown).as("steady flow keeps arriving with the controller down").isPositive();
            assertThat(movingWhileDown).as("moving flow keeps arriving with the controller down").isPositive();

            LabProcess restarted = startController(chain, ctl, db, "controller-restarted");
            double restartedAt = now();
            windows.add(new double[] {restartedAt});
            names.add("controller-restarted");
            Double back = change(chain, ctl, sink, movingPort, LiveChange.visible("rule", "after the restart: moving -> alpha", 20, """
                    rules:
                      - {name: moving, priority: 100, protocol: udp, destination: 10.2.0.0/24, destinationPorts: %d, chain: alpha}
                    """.formatted(movingPort)));
            // Not held to the readiness bound: the nodes come back to a restarted controller on their retry backoff (up to 5 s).
            report.add(String.format(Locale.ROOT, "%d/s controller restarted (%.1f s after the stop); the next change reached "
                    + "the moving flow %.3f s after it was applied", rate, restartedAt - stoppedAt, back));
            assertThat(restarted.isAlive()).isTrue();
            sleep(400);
        }

        // Stop the generator, let the last datagrams land, then read the sink's account.
        Files.writeString(stopGen, "stop");
        await(() -> generator.output().contains("sent "), 15, () -> "generator stops: " + generator.output());
        sleep(1500);
        Files.writeString(stopSink, "stop");
        await(() -> UdpProbe.summary(sink).isPresent(), 30, () -> "sink summary: " + tail(sink));
        JsonNode flows = UdpProbe.summary(sink).orElseThrow().path("flows");
        String sentLine = generator.output().lines().filter(l -> l.startsWith("sent ")).findFirst().orElseThrow();
        JsonNode steady = flows.path(Integer.toString(steadyPort));
        JsonNode moving = flows.path(Integer.toString(movingPort));
        report.add(rate + "/s generator: " + sentLine);
        report.add(rate + "/s steady flow: " + steady);
        report.add(rate + "/s moving flow: " + moving);
        for (Map.Entry<String, JsonNode> f : Map.of("steady", steady, "moving", moving).entrySet()) {
            if (f.getValue().path("missing").asLong() > 0) {
                int port = f.getKey().equals("steady") ? steadyPort : movingPort;
                report.add(rate + "/s " + f.getKey() + " flow lost datagrams during: "
                        + lossByChange(sink, port, f.getKey().equals("steady") ? STEADY_RATE : rate, f.getValue(), windows, names));
            }
        }
        for (String role : List.of("ingress", "sf1", "sf2", "sf3", "sf4", "sf5", "egress")) {
            report.add(rate + "/s " + role + " drops: " + drops(chain, role) + "; kernel: " + kernelDrops(chain, role));
        }
        for (String role : List.of("client", "server", "fabric")) {
            report.add(rate + "/s " + role + " kernel: " + kernelDrops(chain, role));
        }
        report.add(rate + "/s softnet backlog drops (all CPUs, since boot): " + softnetDrops()
                + "; neighbour entries' unresolved discards (since boot): " + unresolvedDiscards());
        return new Round(rate, sentLine, sentCount(sentLine, steadyPort), sentCount(sentLine, movingPort), steady, moving, followed);
    }

    /** The changes of one round, in order; each starts from where the previous one left the topology. */
    static List<LiveChange> changes() {
        String sf4 = ChainLab.underlayAddress("sf4");
        String sf5 = ChainLab.underlayAddress("sf5");
        return List.of(
                LiveChange.visible("rule", "moving -> chain beta [mark-c]", 30, """
                        rules:
                          - {name: moving, priority: 100, protocol: udp, destination: 10.2.0.0/24, destinationPorts: %d, chain: beta}
                        """),
                LiveChange.visible("insert", "beta [mark-c] -> [mark-c, mark-a]", 10, beta("mark-c, mark-a")),
                LiveChange.visible("reorder", "beta -> [mark-a, mark-c]", 30, beta("mark-a, mark-c")),
                LiveChange.visible("remove", "beta -> [mark-a]", 10, beta("mark-a")),
                LiveChange.visible("replace", "beta -> [mark-d]", 40, beta("mark-d")),
                LiveChange.visible("config", "mark-d dscp 40 -> 44", 44, markD("dscp", "{dscp: 44}", sf4, 1)),
                LiveChange.visible("kind", "mark-d dscp -> passthrough", 0, markD("passthrough", "{}", sf4, 1)),
                LiveChange.visible("kind-back", "mark-d passthrough -> dscp 40", 40, markD("dscp", "{dscp: 40}", sf4, 1)),
                LiveChange.invisible("scale-up", "mark-d replicas 1 -> 2", markD("dscp", "{dscp: 40}", sf4, 2)),
                LiveChange.invisible("scale-down", "mark-d replicas 2 -> 1", markD("dscp", "{dscp: 40}", sf4, 1)),
                LiveChange.carriedBy("move", "mark-d sf4 -> sf5 (" + sf5 + ")", "sf5", markD("dscp", "{dscp: 40}", sf5, 1)));
    }

    private static String beta(String functions) {
        return """
                chains:
                  - {name: beta, spi: 3, symmetric: false, functions: [%s]}
                """.formatted(functions);
    }

    private static String markD(String kind, String config, String address, int replicas) {
        return """
                functions:
                  - {name: mark-d, kind: %s, address: %s:4790, replicas: %d, config: %s}
                """.formatted(kind, address, replicas, config);
    }

    /** Applies one change; returns the seconds until the moving flow showed its new path, or null when it cannot show. */
    private Double change(ChainLab chain, LabNamespace ctl, LabProcess sink, int movingPort, LiveChange c) {
        String yaml = c.yaml().contains("%d") ? c.yaml().formatted(movingPort) : c.yaml();
        if (c.dscp() != null) {
            return pathChange(ctl, sink, movingPort, c.dscp(), c.kind() + ": " + c.description(), yaml);
        }
        if (c.carrier() != null) {
            long before = received(chain, c.carrier());
            double start = now();
            apply(ctl, yaml);
            await(() -> received(chain, c.carrier()) > before, 15, () -> c.carrier() + " carries the moving flow after " + c.description());
            return now() - start; // polled: an upper bound, within a curl round trip
        }
        apply(ctl, yaml);
        awaitReadyVersion(ctl);
        return null;
    }

    private static long received(ChainLab chain, String role) {
        return PromSamples.parse(metrics(chain, role)).sum("astaire_sf_packets_received_total", "spi=\"3\"");
    }

    private static String drops(ChainLab chain, String role) {
        PromSamples m = PromSamples.parse(metrics(chain, role));
        return role.startsWith("sf")
                ? m.nonZeroBy("astaire_sf_dropped_packets_total", "reason", "detail").toString()
                : m.nonZeroBy("astaire_edge_dropped_packets_total", "reason").toString();
    }

    /**
     * Where the kernel dropped datagrams in a namespace: UDP receive-buffer overflows (a process
     * that did not read in time) and TUN/veth transmit drops. Measured, so a loss on a busy machine
     * is found where it happened rather than guessed.
     */
    private static String kernelDrops(ChainLab chain, String role) {
        LabNamespace ns = chain.ns(role);
        String snmp = ns.execResult(5, "cat", "/proc/net/snmp").output();
        String udp = "";
        List<String> lines = snmp.lines().filter(l -> l.startsWith("Udp:")).toList();
        if (lines.size() == 2) {
            String[] names = lines.get(0).split("\\s+");
            String[] values = lines.get(1).split("\\s+");
            for (int i = 1; i < names.length && i < values.length; i++) {
                if (names[i].equals("RcvbufErrors") || names[i].equals("InErrors") || names[i].equals("SndbufErrors")) {
                    udp += names[i] + "=" + values[i] + " ";
                }
            }
        }
        List<String> links = new ArrayList<>();
        for (String line : ns.execResult(5, "ip", "-s", "-o", "link").output().lines().toList()) {
            // "N: name: <...> ...\    RX: header \    values \    TX: header \    values"
            String[] parts = line.split("\\\\");
            String name = line.replaceFirst("^\\d+:\\s*([^:@]+).*", "$1");
            if (name.equals("lo") || parts.length < 6) {
                continue;
            }
            String[] rx = parts[3].trim().split("\\s+");
            String[] tx = parts[5].trim().split("\\s+");
            if (rx.length >= 4 && tx.length >= 4 && !(rx[3].equals("0") && tx[3].equals("0"))) {
                links.add(name + " rx_dropped=" + rx[3] + " tx_dropped=" + tx[3]);
            }
        }
        return udp.trim() + " " + links;
    }

    /**
     * Packets the kernel dropped because a CPU's input backlog was full (/proc/net/softnet_stat,
     * second column): what a veth does when the softirq that empties it is starved.
     */
    private static long softnetDrops() throws java.io.IOException {
        long dropped = 0;
        for (String line : Files.readAllLines(Path.of("/proc/net/softnet_stat"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 1) {
                dropped += Long.parseLong(f[1], 16);
            }
        }
        return dropped;
    }

    /** The longest pause in each node's GC log ("... Pause Young (Allocation Failure) 30M->2M(123M) 1.234ms"). */
    private static Map<String, Double> longestGcPauses(Path logs) throws java.io.IOException {
        Map<String, Double> out = new java.util.TreeMap<>();
        java.util.regex.Pattern pause = java.util.regex.Pattern.compile("Pause .* (\\d+\\.\\d+)ms");
        try (var files = Files.list(logs)) {
            for (Path f : files.filter(x -> x.getFileName().toString().startsWith("gc-")).toList()) {
                double max = 0;
                for (String line : Files.readAllLines(f)) {
                    java.util.regex.Matcher m = pause.matcher(line);
                    if (m.find()) {
                        max = Math.max(max, Double.parseDouble(m.group(1)));
                    }
                }
                out.put(f.getFileName().toString(), max);
            }
        }
        return out;
    }

    /** Packets dropped while a neighbour (ARP) entry was being resolved: /proc/net/stat/arp_cache, summed over CPUs. */
    private static long unresolvedDiscards() throws java.io.IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/net/stat/arp_cache"));
        int column = List.of(lines.get(0).trim().split("\\s+")).indexOf("unresolved_discards");
        long discards = 0;
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.trim().split("\\s+");
            if (column >= 0 && column < f.length) {
                discards += Long.parseLong(f[column], 16);
            }
        }
        return discards;
    }

    /** Which change each lost datagram was sent after (sequence numbers are sent at {@code rate} from the first). */
    private static String lossByChange(LabProcess sink, int port, int rate, JsonNode flow, List<double[]> windows, List<String> names) {
        List<JsonNode> marks = UdpProbe.events(sink).stream()
                .filter(e -> e.path("event").asText().equals("dscp") && e.path("port").asInt() == port).toList();
        Map<String, Long> lost = new LinkedHashMap<>();
        for (JsonNode range : flow.path("missingRanges")) {
            long a = range.get(0).asLong();
            long b = range.get(1).asLong();
            // The path change last seen before the gap: its send time and sequence number, then the rate.
            JsonNode ref = marks.getFirst();
            for (JsonNode m : marks) {
                if (m.path("seq").asLong() <= a) {
                    ref = m;
                }
            }
            double sentAt = ref.path("sentWall").asDouble() + (a - ref.path("seq").asDouble()) / rate;
            String during = "before the first change";
            for (int i = 0; i < windows.size(); i++) {
                if (sentAt >= windows.get(i)[0]) {
                    during = names.get(i);
                }
            }
            lost.merge(during, b - a + 1, Long::sum);
        }
        return lost.toString();
    }

    private static List<String> prioritized(String... command) {
        List<String> out = new ArrayList<>(FIRST_CALL_ON_THE_CPU);
        out.addAll(List.of(command));
        return out;
    }

    /** Waits until the controller reports its current version ready for the edges. */
    private static void awaitReadyVersion(LabNamespace ctl) {
        await(() -> {
            LabNamespace.Result r = ctl.execResult(5, "curl", "-sf", "-m", "2", "http://127.0.0.1:8080/api/v1/topology/readiness");
            return r.ok() && r.output().contains("\"ready\":true");
        }, 20, () -> "the controller reports its version ready: "
                + ctl.execResult(5, "curl", "-s", "-m", "2", "http://127.0.0.1:8080/api/v1/topology/readiness").output());
    }

    /** Applies {@code yaml} and returns how long (s) until the first datagram of {@code port} arrives with {@code dscp}. */
    private double pathChange(LabNamespace ctl, LabProcess sink, int port, int dscp, String what, String yaml) {
        double before = now();
        apply(ctl, yaml);
        await(() -> UdpProbe.firstDscpChange(sink, port, dscp, before).isPresent(), 15,
                () -> what + ": the flow reaches DSCP " + dscp + ": " + tail(sink));
        Optional<JsonNode> e = UdpProbe.firstDscpChange(sink, port, dscp, before);
        double seconds = e.orElseThrow().path("wall").asDouble() - before;
        report.add(String.format(Locale.ROOT, "%s: first datagram on the new path %.3f s after the apply request (seq %d)",
                what, seconds, e.get().path("seq").asLong()));
        return seconds;
    }

    private static LabProcess startController(ChainLab chain, LabNamespace ctl, Path db, String name) {
        LabProcess p = chain.lab().start(name, ctl, List.of(DemoSmokeTest.java(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx128m", "-XX:+UseSerialGC", "-jar", DemoSmokeTest.jar().toString(), "controller", "--db", db.toString(),
                "--listen", "0.0.0.0:8080", "--token", TOKEN, "--switch-timeout", SWITCH_TIMEOUT_SECONDS + "s"));
        await(() -> {
            assertThat(p.isAlive()).as(p.output()).isTrue();
            return ctl.execResult(5, "curl", "-sf", "-m", "1", "-o", "/dev/null", "http://127.0.0.1:8080/healthz").ok();
        }, 300, () -> name + " answers /healthz: " + p.output()); // a JVM starting on a busy machine: minutes
        return p;
    }

    /** POST /api/v1/apply from inside the controller's namespace (curl: milliseconds, unlike a JVM). */
    private static void apply(LabNamespace ctl, String yaml) {
        LabNamespace.Result r = ctl.execResult(20, "curl", "-sS", "-f", "-m", "10", "-X", "POST",
                "-H", "Authorization: Bearer " + TOKEN, "-H", "Content-Type: application/yaml",
                "--data-binary", yaml, "http://127.0.0.1:8080/api/v1/apply");
        assertThat(r.ok()).as("apply: " + r.output()).isTrue();
    }

    private static String metrics(ChainLab chain, String role) {
        LabNamespace.Result r = chain.ns(role).execResult(10, "curl", "-sf", "-m", "5", "http://127.0.0.1:9090/metrics");
        assertThat(r.ok()).as(role + " /metrics").isTrue();
        return r.output();
    }

    static String topology(int steadyPort, int movingPort) {
        return """
                functions:
                  - {name: mark-a, kind: dscp, address: %s:4790, config: {dscp: 10}}
                  - {name: mark-b, kind: dscp, address: %s:4790, config: {dscp: 20}}
                  - {name: mark-c, kind: dscp, address: %s:4790, config: {dscp: 30}}
                  - {name: mark-d, kind: dscp, address: %s:4790, config: {dscp: 40}}
                chains:
                  - {name: steady, spi: 1, symmetric: false, functions: [mark-a]}
                  - {name: alpha, spi: 2, symmetric: false, functions: [mark-b]}
                  - {name: beta, spi: 3, symmetric: false, functions: [mark-c]}
                rules:
                  - {name: steady, priority: 100, protocol: udp, destination: 10.2.0.0/24, destinationPorts: %d, chain: steady}
                  - {name: moving, priority: 100, protocol: udp, destination: 10.2.0.0/24, destinationPorts: %d, chain: alpha}
                ingress: {address: %s:4790}
                egress: {address: %s:4790}
                """.formatted(ChainLab.underlayAddress("sf1"), ChainLab.underlayAddress("sf2"),
                ChainLab.underlayAddress("sf3"), ChainLab.underlayAddress("sf4"), steadyPort, movingPort,
                ChainLab.UNDERLAY_INGRESS, ChainLab.UNDERLAY_EGRESS);
    }

    private static long sentCount(String line, int port) {
        for (String part : line.split("\\s+")) {
            if (part.startsWith(port + "=")) {
                return Long.parseLong(part.substring(part.indexOf('=') + 1));
            }
        }
        throw new AssertionError("no count for " + port + " in " + line);
    }

    private static String tail(LabProcess p) {
        String out = p.output();
        return out.length() > 1500 ? "..." + out.substring(out.length() - 1500) : out;
    }

    private static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    private static void await(java.util.function.BooleanSupplier condition, long seconds, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            sleep(50);
        }
        throw new AssertionError("not within " + seconds + " s: " + what.get());
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
