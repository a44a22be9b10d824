package io.astaire.systest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.cli.lab.ChainLab;
import io.astaire.cli.lab.Lab;
import io.astaire.cli.lab.LabNamespace;
import io.astaire.cli.lab.LabProcess;
import io.astaire.model.ChainSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The Kubernetes sidecar model in network namespaces that stand for pods, each a real
 * {@code astaire} process from the packaged jar:
 *
 * <pre>
 *  client pod 10.98.0.2            sf1 .11  sf2 .12  sf3 .13        server pod 10.98.0.3
 *  curl/ping + ingress [tin0]  ──  acl   ── count ── pass   ──  egress [teg0] + http.server
 *                     └──────────── bridge br0 in "fabric", nftables: the CNI ───────────┘
 * </pre>
 *
 * Every pod has one interface and one address on a shared bridge, and no route but its subnet:
 * no pod is a router, none has forwarding on. The bridge's nftables play an anti-spoofing CNI
 * (Calico, Cilium, the AWS VPC CNI): a frame whose IPv4 source is not the sending pod's address
 * is dropped and counted, and so is anything between pods but UDP to port 4790. The edges own
 * their routes ({@code --route}): the ingress steers the server's address into its TUN device
 * in the client pod; the egress delivers into its TUN device in the server pod and steers the
 * replies (the client's address) back into it. Proven: ping, a multi-MB download checked by
 * SHA-256, the ACL's verdict, a route someone deletes put back, and a sidecar killed under
 * traffic (the traffic fails closed meanwhile, then flows again) — with the anti-spoofing and
 * non-chain counters at zero throughout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SidecarModelTest {
    static final int WEB = 20;
    static final int DENIED_PORT = 8023;
    static final int FILE_BYTES = 5 * 1024 * 1024 + 4321;
    static final String CLIENT = "10.98.0.2";
    static final String SERVER = "10.98.0.3";
    static final String PYTHON = "/usr/bin/python3";
    /** Pod name to its IP; functions at .11 .12 .13. */
    static final Map<String, String> PODS = new LinkedHashMap<>();

    static {
        PODS.put("client", CLIENT);
        PODS.put("sf1", "10.98.0.11");
        PODS.put("sf2", "10.98.0.12");
        PODS.put("sf3", "10.98.0.13");
        PODS.put("server", SERVER);
    }

    private Lab lab;
    private final Map<String, LabNamespace> ns = new LinkedHashMap<>();
    private List<String> astaire;
    private Path work;
    private Path topology;
    private Path served;
    private LabProcess ingress;
    private LabProcess egress;

    static String topology() {
        return "# The sidecar model: the ingress is the client pod, the egress the server pod.\n"
                + ChainLab.standardFunctions(DENIED_PORT, PODS.get("sf1"), PODS.get("sf2"), PODS.get("sf3")) + """
                chains:
                  - {name: web, spi: %d, symmetric: true, functions: [acl, count, pass]}
                rules:
                  - {name: tcp-to-server, priority: 100, protocol: tcp, source: %s/32, destination: %s/32, chain: web}
                  - {name: icmp-to-server, priority: 50, protocol: icmp, source: %s/32, destination: %s/32, chain: web}
                ingress: {address: %s:4790}
                egress: {address: %s:4790}
                """.formatted(WEB,
                CLIENT, SERVER, CLIENT, SERVER, CLIENT, SERVER);
    }

    @BeforeAll
    void buildThePodsAndStartTheChain() throws Exception {
        String reason = Lab.unavailableReason();
        assumeTrue(reason == null, () -> "sidecar model skipped: " + reason);
        for (String tool : List.of("ping", "curl", "nft", PYTHON)) {
            assumeTrue(ChainEndToEndTest.onPath(tool), () -> "sidecar model skipped: needs " + tool + " (see .ci/install-test-tools)");
        }
        Path jar = DemoSmokeTest.jar();
        assumeTrue(Files.isRegularFile(jar), () -> "sidecar model skipped: " + jar + " not built (run ./mvnw package)");
        work = Path.of("target").toAbsolutePath().resolve("sidecar-" + ProcessHandle.current().pid());
        Files.createDirectories(work);
        lab = new Lab(work);
        astaire = List.of(DemoSmokeTest.java(), "--enable-native-access=ALL-UNNAMED", "-Xmx160m", "-XX:+UseSerialGC", "-jar", jar.toString());

        LabNamespace fabric = lab.namespace("fabric");
        fabric.exec("ip", "link", "add", "br0", "type", "bridge");
        fabric.exec("ip", "link", "set", "br0", "up");
        for (Map.Entry<String, String> pod : PODS.entrySet()) {
            LabNamespace p = lab.namespace(pod.getKey());
            ns.put(pod.getKey(), p);
            lab.veth(p, "eth0", fabric, pod.getKey());
            fabric.exec("ip", "link", "set", pod.getKey(), "master", "br0");
            lab.address(p, "eth0", pod.getValue() + "/24");
            p.sysctl("net.ipv4.conf.all.rp_filter", "1"); // strict, as many nodes run: the routes must be right
            p.sysctl("net.ipv4.conf.default.rp_filter", "1");
        }
        fabric.exec("nft", "-f", writeRuleset().toString());

        topology = Files.writeString(work.resolve("chain.yaml"), topology());
        List<LabProcess> nodes = new ArrayList<>();
        String[] functions = {"acl", "count", "pass"};
        for (int i = 0; i < functions.length; i++) {
            nodes.add(startAstaire("sf-" + functions[i], "sf" + (i + 1), "sf", "--function", functions[i], "--topology", topology.toString()));
        }
        ingress = startIngress("ingress");
        egress = startEgress("egress");
        nodes.add(ingress);
        nodes.add(egress);
        for (LabProcess p : nodes) {
            p.awaitReady(9090, 90);
        }

        served = work.resolve("www");
        Files.createDirectories(served);
        byte[] blob = new byte[FILE_BYTES];
        new Random(7).nextBytes(blob);
        Files.write(served.resolve("blob.bin"), blob);
        for (int port : new int[] {8000, DENIED_PORT}) {
            LabProcess web = lab.start("http-" + port, ns.get("server"), List.of(PYTHON, "-m", "http.server", Integer.toString(port),
                    "--bind", "0.0.0.0", "--directory", served.toString()));
            ChainEndToEndTest.awaitListening(ns.get("server"), port, web);
        }
    }

    /**
     * The CNI model: per bridge port, only the pod's own source address; between pods only UDP to
     * 4790 (and from it: a node answers the next-hop probes of another, NSH OAM echo, to the
     * prober's port), and the ICMP errors a pod's kernel sends back when its sidecar is not listening (a
     * real CNI passes those too; they carry no application traffic). Everything else is dropped
     * and counted: an application packet that went around the chain would show there.
     */
    private Path writeRuleset() throws Exception {
        StringBuilder rules = new StringBuilder();
        for (Map.Entry<String, String> pod : PODS.entrySet()) {
            rules.append("    iifname \"%s\" ip saddr != %s counter name spoofed drop\n".formatted(pod.getKey(), pod.getValue()));
        }
        String ruleset = """
                table bridge astaire_cni
                delete table bridge astaire_cni
                table bridge astaire_cni {
                  counter spoofed {}
                  counter not_chain {}
                  counter icmp_errors {}
                  chain forward {
                    type filter hook forward priority 0; policy drop;
                    ether type arp accept
                    ether type ip6 drop
                %s    udp dport 4790 accept
                    udp sport 4790 accept
                    icmp type destination-unreachable counter name icmp_errors accept
                    counter name not_chain drop
                  }
                }
                """.formatted(rules);
        return Files.writeString(work.resolve("cni.nft"), ruleset);
    }

    private LabProcess startAstaire(String name, String pod, String... args) {
        List<String> cmd = new ArrayList<>(astaire);
        cmd.addAll(List.of(args));
        return lab.start(name, ns.get(pod), cmd);
    }

    private LabProcess startIngress(String name) {
        return startAstaire(name, "client", "ingress", "--topology", topology.toString(), "--tun", "tin0", "--route", SERVER + "/32");
    }

    private LabProcess startEgress(String name) {
        return startAstaire(name, "server", "egress", "--topology", topology.toString(), "--tun", "teg0", "--route", CLIENT + "/32");
    }

    @AfterAll
    void teardown() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void theEdgesInstalledTheirRoutesAndNoPodRoutesForAnother() {
        assertThat(ns.get("client").exec("ip", "route", "show")).contains(SERVER + " dev tin0 scope link metric 10")
                .contains("unreachable " + SERVER + " scope host metric 4000");
        assertThat(ns.get("server").exec("ip", "route", "show")).contains(CLIENT + " dev teg0 scope link metric 10");
        for (LabNamespace p : ns.values()) {
            assertThat(p.exec("sysctl", "-n", "net.ipv4.ip_forward").strip()).as(p.role() + " forwards nothing").isEqualTo("0");
        }
    }

    @Test
    @Order(2)
    void pingCrossesTheChainBetweenPodsAndNothingIsSpoofed() {
        LabNamespace.Result r = ns.get("client").execResult(30, "ping", "-c", "5", "-i", "0.2", "-W", "3", SERVER);
        assertThat(r.output()).as(r.output()).contains("5 packets transmitted, 5 received");
        assertThat(metrics("client").sum("astaire_edge_path_sent_packets_total", "spi=\"" + WEB + "\"")).isGreaterThanOrEqualTo(5);
        assertThat(metrics("server").sum("astaire_edge_path_delivered_packets_total", "spi=\"" + WEB + "\"")).isGreaterThanOrEqualTo(5);
        assertThat(metrics("server").sum("astaire_edge_path_sent_packets_total", "spi=\"" + ChainSpec.reverseSpi(WEB) + "\"")).isGreaterThanOrEqualTo(5);
        assertThat(metrics("sf2").sum("astaire_counter_chain_packets_total", "spi=\"" + WEB + "\"")).as("the counter function saw them").isPositive();
        assertCniCounters();
    }

    @Test
    @Order(3)
    void theCniModelDoesDropASpoofedSourceAndTrafficAroundTheChain() {
        // The filter is real: a source the pod does not own is dropped, and so is plain traffic between pods.
        ns.get("sf1").exec("ip", "addr", "add", "10.98.0.250/24", "dev", "eth0");
        try {
            ns.get("sf1").execResult(10, "ping", "-c", "2", "-i", "0.2", "-W", "1", "-I", "10.98.0.250", PODS.get("sf2"));
            assertThat(nftCounter("spoofed")).isGreaterThanOrEqualTo(2);
        } finally {
            ns.get("sf1").exec("ip", "addr", "del", "10.98.0.250/24", "dev", "eth0");
        }
        assertThat(ns.get("sf1").execResult(10, "ping", "-c", "2", "-i", "0.2", "-W", "1", PODS.get("sf2")).output()).contains("0 received");
        assertThat(nftCounter("not_chain")).isGreaterThanOrEqualTo(2);
        resetCniCounters();
    }

    @Test
    @Order(4)
    void aMultiMegabyteDownloadArrivesByteForByte() throws Exception {
        Path got = work.resolve("fetched.bin");
        LabNamespace.Result r = ns.get("client").execResult(90, "curl", "-sS", "-m", "80", "-o", got.toString(),
                "-w", "%{http_code} %{size_download}", "http://" + SERVER + ":8000/blob.bin");
        assertThat(r.ok()).as(r.output()).isTrue();
        assertThat(r.output()).startsWith("200 ");
        assertThat(Files.size(got)).isEqualTo(FILE_BYTES);
        assertThat(ChainEndToEndTest.sha256(got)).isEqualTo(ChainEndToEndTest.sha256(served.resolve("blob.bin")));
        assertCniCounters();
    }

    @Test
    @Order(5)
    void theAclsVerdictApplies() {
        double before = denials();
        LabNamespace.Result denied = ns.get("client").execResult(20, "curl", "-sS", "-m", "4", "-o", "/dev/null",
                "http://" + SERVER + ":" + DENIED_PORT + "/");
        assertThat(denied.ok()).as("port %d is denied: %s", DENIED_PORT, denied.output()).isFalse();
        assertThat(denials()).isGreaterThan(before);
        assertThat(ns.get("client").execResult(20, "curl", "-sS", "-m", "10", "-o", "/dev/null", "http://" + SERVER + ":8000/").ok()).isTrue();
        assertCniCounters();
    }

    @Test
    @Order(6)
    void aRouteSomeoneRemovesIsPutBackByTheEdge() {
        ns.get("client").exec("ip", "route", "del", SERVER, "dev", "tin0", "metric", "10");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                .until(() -> metrics("client").sum("astaire_edge_routes_restored_total") >= 1);
        assertThat(ns.get("client").exec("ip", "route", "show")).contains(SERVER + " dev tin0 scope link metric 10");
        assertThat(ingress.output()).contains("route " + SERVER + "/32 dev tin0 metric 10 was removed; restored it");
        assertThat(ns.get("client").execResult(30, "ping", "-c", "3", "-i", "0.2", "-W", "3", SERVER).output()).contains("3 received");
        assertCniCounters();
    }

    @Test
    @Order(7)
    void aSidecarKilledUnderTrafficComesBackAndTheTrafficWithItFailingClosedMeanwhile() throws Exception {
        for (String pod : List.of("client", "server")) {
            LabProcess pinger = lab.start("ping-" + pod, ns.get("client"), List.of("ping", "-i", "0.1", "-W", "1", "-w", "120", SERVER));
            await().atMost(Duration.ofSeconds(20)).until(() -> replied(pinger).size() >= 5);
            LabProcess old = pod.equals("client") ? ingress : egress;
            ProcessHandle.of(old.pid()).ifPresent(ProcessHandle::destroyForcibly); // a crash, not a clean stop
            assertThat(old.waitFor(20)).isNotEqualTo(-1);
            int lastBefore = replied(pinger).last();
            LabProcess fresh = pod.equals("client") ? startIngress("ingress-2") : startEgress("egress-2");
            if (pod.equals("client")) {
                ingress = fresh;
            } else {
                egress = fresh;
            }
            fresh.awaitReady(9090, 90);
            await().atMost(Duration.ofSeconds(30)).until(() -> replied(pinger).last() > lastBefore + 10);
            pinger.stop(2);
            assertThat(ns.get(pod).exec("ip", "route", "show")).contains((pod.equals("client") ? SERVER + " dev tin0" : CLIENT + " dev teg0")
                    + " scope link metric 10");
            System.out.println(pod + " sidecar restarted: replies up to icmp_seq " + lastBefore + " before, up to "
                    + replied(pinger).last() + " after");
            // While it was down no packet went around the chain or with a foreign source; what the
            // functions sent to the dead sidecar's port was refused with ICMP port-unreachable.
            assertCniCounters();
            System.out.println("ICMP errors while the " + pod + " sidecar was down: " + nftCounter("icmp_errors"));
        }
        assertThat(ns.get("client").execResult(30, "ping", "-c", "3", "-i", "0.2", "-W", "3", SERVER).output()).contains("3 received");
    }

    private static final Pattern REPLY = Pattern.compile("icmp_seq=(\\d+)");

    private static TreeSet<Integer> replied(LabProcess pinger) {
        TreeSet<Integer> seqs = new TreeSet<>(List.of(-1));
        Matcher m = REPLY.matcher(pinger.output());
        while (m.find()) {
            seqs.add(Integer.parseInt(m.group(1)));
        }
        return seqs;
    }

    private double denials() {
        return metrics("sf1").sum("astaire_acl_hits_total", "rule=\"no-" + DENIED_PORT + "\"", "action=\"deny\"");
    }

    private PromText metrics(String pod) {
        LabNamespace.Result r = ns.get(pod).execResult(10, "curl", "-sf", "-m", "5", "http://127.0.0.1:9090/metrics");
        assertThat(r.ok()).as(pod + " /metrics: " + r.output()).isTrue();
        return PromText.parse(r.output());
    }

    private long nftCounter(String name) {
        String out = lab.namespaces().getFirst().exec("nft", "list", "counter", "bridge", "astaire_cni", name);
        Matcher m = Pattern.compile("packets (\\d+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Long.parseLong(m.group(1));
    }

    private void assertCniCounters() {
        assertThat(nftCounter("spoofed")).as("frames with a source address not the sending pod's").isZero();
        assertThat(nftCounter("not_chain")).as("frames between pods that are not UDP to 4790").isZero();
    }

    private void resetCniCounters() {
        lab.namespaces().getFirst().exec("nft", "reset", "counters", "table", "bridge", "astaire_cni");
    }
}
