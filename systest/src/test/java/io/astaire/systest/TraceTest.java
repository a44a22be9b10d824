package io.astaire.systest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.cli.lab.ChainLab;
import io.astaire.cli.lab.Lab;
import io.astaire.cli.lab.LabNamespace;
import io.astaire.cli.lab.LabProcess;
import io.astaire.dataplane.oam.TraceHop;
import io.astaire.dataplane.oam.TraceResult;
import io.astaire.model.ChainSpec;
import io.astaire.model.TopologyCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * {@code astaire trace} through the standard lab chain (ingress, acl, count, pass, egress, each a
 * real process in its own namespace), run against the topology file from the ingress's namespace:
 * the whole path both ways with the service index and TTL of every hop, a probe the ACL denies, a
 * flow no rule matches, a probe that is never delivered to the server (checked with tcpdump on
 * the server's link), and a function node that is down.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TraceTest {
    static final int WEB = 20;
    static final int DENIED_PORT = 8023;

    private Lab lab;
    private ChainLab chain;
    private Path topology;
    private List<String> astaire;
    private final List<LabProcess> functionNodes = new ArrayList<>();

    @BeforeAll
    void startTheChain() throws Exception {
        String reason = Lab.unavailableReason();
        assumeTrue(reason == null, () -> "trace suite skipped: " + reason);
        assumeTrue(ChainEndToEndTest.onPath("tcpdump"), "trace suite skipped: needs tcpdump (see .ci/install-test-tools)");
        Path jar = Path.of(System.getProperty("astaire.jar", "../cli/target/astaire.jar")).toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(jar), () -> "trace suite skipped: " + jar + " not built (run ./mvnw package)");
        Path work = Path.of("target").toAbsolutePath().resolve("trace-" + ProcessHandle.current().pid());
        Files.createDirectories(work);
        lab = new Lab(work);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        astaire = List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", jar.toString());
        chain = ChainLab.build(lab, astaire, 3);
        topology = work.resolve("topology.yaml");
        Files.writeString(topology, ChainLab.standardTopology(WEB, DENIED_PORT));
        String[] functions = {"acl", "count", "pass"};
        List<LabProcess> nodes = new ArrayList<>();
        for (int i = 0; i < functions.length; i++) {
            LabProcess p = chain.startAstaire("sf-" + functions[i], "sf" + (i + 1), "sf", "--function", functions[i],
                    "--name", "sf-" + functions[i], "--topology", topology.toString(), "--workers", "1");
            functionNodes.add(p);
            nodes.add(p);
        }
        nodes.add(chain.startAstaire("ingress", "ingress", "ingress", "--topology", topology.toString(), "--tun", "tin0"));
        nodes.add(chain.startAstaire("egress", "egress", "egress", "--topology", topology.toString(), "--tun", "teg0"));
        for (LabProcess p : nodes) {
            chain.awaitReady(p, 9090, 60);
        }
        chain.routeIntoTunnels("tin0", "teg0");
    }

    @AfterAll
    void teardown() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void aProbeTakesTheWholePathBothWaysWithEveryHopsServiceIndexAndTtl() {
        Traced t = trace("--from", ChainLab.CLIENT, "--to", ChainLab.SERVER);
        assertThat(t.exit).as(t.output).isZero();
        TraceResult r = t.result;
        assertThat(r.outcome()).isEqualTo(TraceResult.ARRIVED);
        assertThat(r.flow().protocol()).isEqualTo("icmp");
        List<TraceHop> forward = r.hops().stream().filter(h -> h.direction().equals(TraceHop.FORWARD)).toList();
        List<TraceHop> reverse = r.hops().stream().filter(h -> h.direction().equals(TraceHop.REVERSE)).toList();

        assertThat(forward).extracting(TraceHop::label).containsExactly("ingress", "acl", "count", "pass", "egress");
        assertThat(forward).extracting(TraceHop::verdict).containsExactly("classified", "forwarded", "forwarded", "forwarded", "arrived");
        assertThat(forward).extracting(TraceHop::siIn).containsExactly(null, 255, 254, 253, 252);
        assertThat(forward).extracting(TraceHop::siOut).containsExactly(255, 254, 253, 252, null);
        assertThat(forward).extracting(TraceHop::ttlIn).containsExactly(null, 63, 62, 61, 60);
        assertThat(forward).extracting(TraceHop::ttlOut).containsExactly(63, 62, 61, 60, null);
        assertThat(forward).extracting(TraceHop::spi).containsOnly(WEB);
        assertThat(forward.getFirst().detail()).isEqualTo("rule icmp");
        assertThat(forward.get(1).detail()).isEqualTo("default allow"); // the ACL said why it let the probe pass
        // Each hop names the replica it chose, and the next hop is that replica.
        for (int i = 0; i < forward.size() - 1; i++) {
            assertThat(forward.get(i).next()).isEqualTo(forward.get(i + 1).address());
        }
        assertThat(forward.get(1).address()).isEqualTo(ChainLab.underlayAddress("sf1") + ":4790");
        assertThat(forward.get(1).node()).isEqualTo("sf-acl");

        assertThat(reverse).extracting(TraceHop::label).containsExactly("egress", "pass", "count", "acl", "ingress");
        assertThat(reverse).extracting(TraceHop::spi).containsOnly(ChainSpec.reverseSpi(WEB));
        assertThat(reverse).extracting(TraceHop::siIn).containsExactly(null, 255, 254, 253, 252);
        assertThat(reverse.getLast().verdict()).isEqualTo("arrived");
        assertThat(r.hops()).allSatisfy(h -> assertThat(h.elapsedMicros()).isNotNegative());

        Traced text = traceText("--from", ChainLab.CLIENT, "--to", ChainLab.SERVER);
        System.out.println(text.output);
        assertThat(text.exit).isZero();
        assertThat(text.output).contains("forward", "reverse", "acl (sf-acl)", "255->254", "arrived: arrived at the egress and back at the ingress");
    }

    @Test
    @Order(2)
    void anIpv6ProbeTakesTheWholePathBothWaysToo() {
        for (String[] flow : new String[][] {{}, {"--proto", "tcp", "--dport", "8000"}}) {
            List<String> args = new ArrayList<>(List.of("--from", ChainLab.CLIENT6, "--to", ChainLab.SERVER6));
            args.addAll(List.of(flow));
            Traced t = trace(args.toArray(String[]::new));
            assertThat(t.exit).as(t.output).isZero();
            assertThat(t.result.flow().protocol()).isEqualTo(flow.length == 0 ? "icmpv6" : "tcp");
            assertThat(t.result.hops()).extracting(TraceHop::label)
                    .containsExactly("ingress", "acl", "count", "pass", "egress", "egress", "pass", "count", "acl", "ingress");
            assertThat(t.result.hops().getFirst().detail()).isEqualTo(flow.length == 0 ? "rule icmp6" : "rule tcp6-to-servers");
        }
    }

    @Test
    @Order(2)
    void aProbeTheAclDeniesNamesTheAclHopAndTheRule() {
        Traced t = trace("--from", ChainLab.CLIENT, "--to", ChainLab.SERVER, "--proto", "tcp", "--dport", Integer.toString(DENIED_PORT));
        assertThat(t.exit).as(t.output).isEqualTo(1);
        assertThat(t.result.outcome()).isEqualTo(TraceResult.DROPPED);
        assertThat(t.result.message()).isEqualTo("dropped at acl: function_verdict (rule no-" + DENIED_PORT + ")");
        TraceHop last = t.result.hops().getLast();
        assertThat(last.label()).isEqualTo("acl");
        assertThat(last.droppedBy()).isEqualTo("acl");
        assertThat(t.result.hops()).extracting(TraceHop::label).containsExactly("ingress", "acl");
    }

    @Test
    @Order(3)
    void aProbeOnAFlowNoRuleMatchesSaysSo() {
        Traced t = trace("--from", ChainLab.CLIENT, "--to", ChainLab.SERVER, "--proto", "udp", "--dport", "9999");
        assertThat(t.exit).as(t.output).isEqualTo(1);
        assertThat(t.result.outcome()).isEqualTo(TraceResult.NO_MATCH);
        assertThat(t.result.message()).startsWith("no rule matched at the ingress: no rule matches udp 10.1.0.2:");
        assertThat(t.result.hops()).hasSize(1);
    }

    @Test
    @Order(3)
    void aOneWayChainsProbeEndsAtTheEgress() {
        Traced t = trace("--from", ChainLab.CLIENT, "--to", ChainLab.SERVER, "--proto", "udp",
                "--dport", Integer.toString(ChainLab.ONE_WAY_UDP_PORT));
        assertThat(t.exit).as(t.output).isZero();
        assertThat(t.result.outcome()).isEqualTo(TraceResult.ARRIVED);
        assertThat(t.result.hops()).extracting(TraceHop::label).containsExactly("ingress", "count", "egress");
        assertThat(t.result.hops().getLast().detail()).isEqualTo("not delivered; no reverse path for its replies");
        assertThat(t.result.message()).startsWith("arrived at the egress: 3 hops")
                .endsWith("; note: the classifier put the probe on SPI " + (WEB + 1) + ", not chain web's SPI " + WEB);
    }

    @Test
    @Order(4)
    void probesAreNeverDeliveredToTheServer() throws Exception {
        int sport = 41234;
        LabNamespace server = chain.ns("server");
        Path pcap = lab.logDir().resolve("server-during-trace.pcap");
        LabProcess capture = lab.start("tcpdump", server, List.of("tcpdump", "-i", "s0", "-n", "-U", "-w", pcap.toString(),
                "tcp port " + sport + " or icmp"));
        try {
            awaitCapturing(capture);
            Traced tcp = trace("--from", ChainLab.CLIENT, "--to", ChainLab.SERVER, "--proto", "tcp", "--sport", Integer.toString(sport),
                    "--dport", "8000");
            Traced icmp = trace("--from", ChainLab.CLIENT, "--to", ChainLab.SERVER);
            assertThat(tcp.result.outcome()).as(tcp.output).isEqualTo(TraceResult.ARRIVED);
            assertThat(icmp.result.outcome()).as(icmp.output).isEqualTo(TraceResult.ARRIVED);
        } finally {
            capture.stop(5);
        }
        LabNamespace.Result read = server.execResult(20, "tcpdump", "-r", pcap.toString(), "-n");
        assertThat(read.ok()).as(read.output()).isTrue();
        assertThat(read.output().lines().filter(l -> l.contains(" IP ")).toList()).as("packets the server saw").isEmpty();
    }

    @Test
    @Order(5)
    void aProbeToAFunctionThatIsDownNamesTheHopWhoseNextHopFailed() {
        functionNodes.get(1).stop(10); // count, on sf2
        Traced t = trace("--from", ChainLab.CLIENT, "--to", ChainLab.SERVER);
        assertThat(t.exit).as(t.output).isEqualTo(1);
        assertThat(t.result.outcome()).isIn(TraceResult.LOST, TraceResult.DROPPED);
        TraceHop last = t.result.hops().getLast();
        assertThat(last.label()).as(t.output).isEqualTo("acl");
        if (t.result.outcome().equals(TraceResult.LOST)) {
            assertThat(t.result.message()).startsWith("lost after acl (" + ChainLab.underlayAddress("sf1") + ":4790): sent it to "
                    + ChainLab.underlayAddress("sf2") + ":4790 and no report came from the next hop");
        } else {
            assertThat(last.reason()).isEqualTo("no_next_hop"); // the acl node had already taken the dead replica out
        }
    }

    private record Traced(int exit, String output, TraceResult result) {}

    /** {@code astaire trace -f topology --chain web ... --json} from the ingress's namespace. */
    private Traced trace(String... args) {
        List<String> cmd = command(args);
        cmd.add("--json");
        LabNamespace.Result r = chain.ns("ingress").execResult(60, cmd.toArray(String[]::new));
        int json = r.output().indexOf('{');
        assertThat(json).as(r.output()).isGreaterThanOrEqualTo(0);
        return new Traced(r.exit(), r.output(), TopologyCodec.parse(r.output().substring(json), TraceResult.class));
    }

    private Traced traceText(String... args) {
        LabNamespace.Result r = chain.ns("ingress").execResult(60, command(args).toArray(String[]::new));
        return new Traced(r.exit(), r.output(), null);
    }

    private List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(astaire);
        cmd.addAll(List.of("trace", "-f", topology.toString(), "--chain", "web", "--timeout", "5s")); // an arrived probe returns at once
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static void awaitCapturing(LabProcess capture) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!capture.output().contains("listening on")) {
            assertThat(capture.isAlive()).as(capture.output()).isTrue();
            assertThat(System.nanoTime() < deadline).as("tcpdump did not start: " + capture.output()).isTrue();
            Thread.sleep(50);
        }
    }
}
