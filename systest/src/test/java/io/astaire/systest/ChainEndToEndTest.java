package io.astaire.systest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.cli.lab.ChainLab;
import io.astaire.cli.lab.Lab;
import io.astaire.cli.lab.LabNamespace;
import io.astaire.cli.lab.LabProcess;
import io.astaire.model.ChainSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
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
 * The whole system with real traffic: client, ingress, three function nodes (acl, counter,
 * passthrough), egress and server, each in its own network namespace, every node a real
 * {@code astaire} process started from the packaged jar; ping, curl, python's http.server,
 * iperf3 and tshark as they are. One lab for the class (built once, torn down at the end even
 * when a test fails).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChainEndToEndTest {
    static final int WEB = 10;
    static final int DENIED_PORT = 8023;
    static final int FILE_BYTES = 6 * 1024 * 1024 + 12345;
    static final String[] FUNCTIONS = {"acl", "count", "pass"};
    static final String PYTHON = "/usr/bin/python3";

    private Lab lab;
    private ChainLab chain;
    private Path work;
    private Path served;
    private final List<LabProcess> nodes = new ArrayList<>();

    @BeforeAll
    void buildLabAndStartTheChain() throws Exception {
        String reason = Lab.unavailableReason();
        assumeTrue(reason == null, () -> "end-to-end suite skipped: " + reason);
        for (String tool : List.of("ping", "curl", "iperf3", "tshark", "/usr/bin/python3")) {
            assumeTrue(onPath(tool), () -> "end-to-end suite skipped: needs " + tool + " (see .ci/install-test-tools)");
        }
        Path jar = Path.of(System.getProperty("astaire.jar", "../cli/target/astaire.jar")).toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(jar), () -> "end-to-end suite skipped: " + jar + " not built (run ./mvnw package)");

        work = Path.of("target").toAbsolutePath().resolve("systest-" + ProcessHandle.current().pid());
        Files.createDirectories(work);
        lab = new Lab(work);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        chain = ChainLab.build(lab, List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx192m", "-XX:+UseSerialGC",
                "-Dlogback.configurationFile=" + logbackConfig(), "-jar", jar.toString()), 3);
        chain.addPlainPath();

        Path topology = work.resolve("topology.yaml");
        Files.writeString(topology, ChainLab.standardTopology(WEB, DENIED_PORT));
        for (int i = 0; i < FUNCTIONS.length; i++) {
            nodes.add(chain.startAstaire("sf-" + FUNCTIONS[i], "sf" + (i + 1), "sf", "--function", FUNCTIONS[i],
                    "--topology", topology.toString(), "--workers", "1"));
        }
        // Two workers at the ingress: a multi-queue TUN device, two receiving sockets on one port.
        LabProcess ingress = chain.startAstaire("ingress", "ingress", "ingress", "--topology", topology.toString(), "--tun", "tin0",
                "--workers", "2");
        LabProcess egress = chain.startAstaire("egress", "egress", "egress", "--topology", topology.toString(), "--tun", "teg0");
        nodes.add(ingress);
        nodes.add(egress);
        for (LabProcess p : nodes) {
            chain.awaitReady(p, 9090, 60);
        }
        chain.routeIntoTunnels("tin0", "teg0");

        served = work.resolve("www");
        Files.createDirectories(served);
        byte[] blob = new byte[FILE_BYTES];
        new Random(42).nextBytes(blob);
        Files.write(served.resolve("blob.bin"), blob);
        Files.writeString(served.resolve("index.html"), "hello through the chain\n");
        for (int port : new int[] {8000, DENIED_PORT}) {
            LabProcess web = lab.start("http-" + port, chain.ns("server"), List.of("/usr/bin/python3", "-m", "http.server",
                    Integer.toString(port), "--bind", "::", "--directory", served.toString()));
            awaitListening(chain.ns("server"), port, web);
        }
    }

    @AfterAll
    void teardown() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void pingCrossesTheChainAndTheRepliesComeBackOnTheReversePath() {
        LabNamespace.Result r = chain.ns("client").execResult(20, "ping", "-c", "5", "-i", "0.2", "-W", "2", ChainLab.SERVER);
        System.out.println(r.output());
        assertThat(r.output()).contains("5 packets transmitted, 5 received");
        PromText ingress = metrics("ingress");
        PromText egress = metrics("egress");
        assertThat(ingress.sum("astaire_edge_path_sent_packets_total", "spi=\"" + WEB + "\"")).isGreaterThanOrEqualTo(5);
        assertThat(egress.sum("astaire_edge_path_delivered_packets_total", "spi=\"" + WEB + "\"")).isGreaterThanOrEqualTo(5);
        int reverse = ChainSpec.reverseSpi(WEB);
        assertThat(egress.sum("astaire_edge_path_sent_packets_total", "spi=\"" + reverse + "\"")).isGreaterThanOrEqualTo(5);
        assertThat(ingress.sum("astaire_edge_path_delivered_packets_total", "spi=\"" + reverse + "\"")).isGreaterThanOrEqualTo(5);
    }

    @Test
    @Order(2)
    void ipv6PingCrossesTheChainToo() {
        LabNamespace.Result r = chain.ns("client").execResult(20, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", ChainLab.SERVER6);
        System.out.println(r.output());
        assertThat(r.output()).contains("3 packets transmitted, 3 received");
    }

    @Test
    @Order(3)
    void curlFetchesSeveralMegabytesByteForByte() throws Exception {
        Path got = work.resolve("fetched.bin");
        LabNamespace.Result r = chain.ns("client").execResult(60, "curl", "-sS", "-m", "50", "-o", got.toString(),
                "-w", "%{http_code} %{size_download} %{speed_download}", "http://" + ChainLab.SERVER + ":8000/blob.bin");
        System.out.println("curl through the chain: " + r.output());
        assertThat(r.ok()).as(r.output()).isTrue();
        assertThat(Files.size(got)).isEqualTo(FILE_BYTES);
        assertThat(sha256(got)).isEqualTo(sha256(served.resolve("blob.bin")));
        // IPv6: other rules, same path.
        Path got6 = work.resolve("fetched6.bin");
        LabNamespace.Result r6 = chain.ns("client").execResult(60, "curl", "-sS", "-g", "-m", "50", "-o", got6.toString(),
                "http://[" + ChainLab.SERVER6 + "]:8000/blob.bin");
        assertThat(r6.ok()).as(r6.output()).isTrue();
        assertThat(sha256(got6)).isEqualTo(sha256(served.resolve("blob.bin")));
    }

    @Test
    @Order(4)
    void anUploadArrivesByteForByte() throws Exception {
        Path received = work.resolve("uploaded.bin");
        LabProcess sink = lab.start("tcp-sink", chain.ns("server"), List.of(PYTHON, "-c", """
                import socket, sys
                s = socket.create_server(("0.0.0.0", 9000))
                print("listening", flush=True)
                c, _ = s.accept()
                with open(sys.argv[1], "wb") as f:
                    for b in iter(lambda: c.recv(65536), b""):
                        f.write(b)
                c.close()
                """, received.toString()));
        waitForOutput(sink, "listening", 10);
        LabNamespace.Result r = chain.ns("client").execResult(60, PYTHON, "-c", """
                import socket, sys
                c = socket.create_connection((sys.argv[1], 9000), timeout=20)
                c.sendall(open(sys.argv[2], "rb").read())
                c.shutdown(socket.SHUT_WR)
                c.recv(1)
                """, ChainLab.SERVER, served.resolve("blob.bin").toString());
        assertThat(r.ok()).as("upload: " + r.output()).isTrue();
        assertThat(sink.waitFor(20)).as(sink.output()).isZero();
        assertThat(sha256(received)).isEqualTo(sha256(served.resolve("blob.bin")));
    }

    @Test
    @Order(5)
    void captureBetweenTwoFunctionNodesDecodesAsVxlanGpeNshWithTheClientsAddresses() throws Exception {
        Path pcap = work.resolve("sf1-sf2.pcap");
        // On sf2's underlay link: what sf1 sends to sf2 (forward, after acl) and sf2's input on the
        // reverse path (from sf3, after pass).
        LabProcess capture = lab.start("tcpdump", chain.ns("sf2"), List.of("tcpdump", "-i", "u0", "-U", "-w", pcap.toString(),
                "-c", "12", "udp", "port", "4790", "and", "dst", "host", ChainLab.underlayAddress("sf2")));
        waitForOutput(capture, "listening on", 10);
        chain.ns("client").execResult(20, "ping", "-c", "6", "-i", "0.2", "-W", "2", ChainLab.SERVER);
        assertThat(capture.waitFor(10)).as("tcpdump output: " + capture.output()).isZero();
        LabNamespace.Result fields = chain.ns("sf2").execResult(30, "tshark", "-r", pcap.toString(), "-T", "fields",
                "-E", "separator=;", "-e", "vxlan.next_proto", "-e", "frame.protocols", "-e", "nsh.spi", "-e", "nsh.si", "-e", "nsh.ttl",
                "-e", "ip.src", "-e", "ip.dst", "-e", "icmp.type");
        System.out.println("tshark (GPE next protocol; protocols; SPI; SI; TTL; outer,inner src; outer,inner dst; ICMP type):\n" + fields.output());
        assertThat(fields.ok()).as(fields.output()).isTrue();
        List<String> forward = new ArrayList<>();
        List<String> reverse = new ArrayList<>();
        for (String line : fields.output().strip().split("\n")) {
            String[] all = line.split(";", -1);
            if (all.length < 8 || all[2].isBlank()) {
                continue;
            }
            assertThat(all[0]).as("VXLAN-GPE next protocol is NSH (4): " + line).isEqualTo("4");
            assertThat(all[1]).as("NSH, then the inner IP packet: " + line).contains("udp:nsh:ip:icmp");
            String[] f = java.util.Arrays.copyOfRange(all, 1, all.length);
            if (Integer.parseInt(f[1]) == WEB) {
                forward.add(line);
                assertThat(f[2]).as("SI after acl (one function applied)").isEqualTo("254");
                assertThat(f[4]).as("outer then inner source").isEqualTo(ChainLab.underlayAddress("sf1") + "," + ChainLab.CLIENT);
                assertThat(f[5]).as("outer then inner destination").isEqualTo(ChainLab.underlayAddress("sf2") + "," + ChainLab.SERVER);
                assertThat(f[6]).as("echo request").isEqualTo("8");
            } else {
                assertThat(Integer.parseInt(f[1])).isEqualTo(ChainSpec.reverseSpi(WEB));
                reverse.add(line);
                assertThat(f[2]).as("SI after pass on the reverse path").isEqualTo("254");
                assertThat(f[4]).isEqualTo(ChainLab.underlayAddress("sf3") + "," + ChainLab.SERVER);
                assertThat(f[5]).isEqualTo(ChainLab.underlayAddress("sf2") + "," + ChainLab.CLIENT);
                assertThat(f[6]).as("echo reply").isEqualTo("0");
            }
            assertThat(Integer.decode(f[3])).as("NSH TTL after one forwarder").isEqualTo(62);
        }
        assertThat(forward).hasSizeGreaterThanOrEqualTo(5);
        assertThat(reverse).hasSizeGreaterThanOrEqualTo(5);
    }

    @Test
    @Order(6)
    void aclDeniesOnePortWhileTheRestFlowsAndEveryNodeCountsTraffic() {
        LabNamespace client = chain.ns("client");
        LabNamespace.Result denied = client.execResult(20, "curl", "-sS", "-m", "3", "http://" + ChainLab.SERVER + ":" + DENIED_PORT + "/index.html");
        assertThat(denied.ok()).as("port %d must be blocked by the acl: %s", DENIED_PORT, denied.output()).isFalse();
        LabNamespace.Result allowed = client.execResult(20, "curl", "-sS", "-m", "10", "http://" + ChainLab.SERVER + ":8000/index.html");
        assertThat(allowed.output()).contains("hello through the chain");

        PromText acl = metrics("sf1");
        System.out.println("acl hits: deny=" + acl.sum("astaire_acl_hits_total", "action=\"deny\"")
                + " allow=" + acl.sum("astaire_acl_hits_total", "action=\"allow\""));
        assertThat(acl.sum("astaire_acl_hits_total", "rule=\"no-" + DENIED_PORT + "\"", "action=\"deny\"")).isGreaterThanOrEqualTo(1);
        assertThat(acl.sum("astaire_acl_hits_total", "action=\"allow\"")).isPositive();
        for (String role : List.of("sf1", "sf2", "sf3")) {
            PromText m = metrics(role);
            assertThat(m.sum("astaire_sf_packets_received_total")).as(role + " received packets").isPositive();
            assertThat(m.sum("astaire_sf_packets_sent_total")).as(role + " sent packets").isPositive();
        }
        assertThat(metrics("sf2").sum("astaire_counter_chain_packets_total", "spi=\"" + WEB + "\"")).as("counter function").isPositive();
        for (String role : List.of("ingress", "egress")) {
            PromText m = metrics(role);
            assertThat(m.sum("astaire_edge_tun_read_packets_total")).as(role + " TUN reads").isPositive();
            assertThat(m.sum("astaire_edge_tun_written_packets_total")).as(role + " TUN writes").isPositive();
        }
    }

    @Test
    @Order(7)
    void aFlowNoRuleMatchesIsDroppedAndCounted() {
        double before = metrics("ingress").sum("astaire_edge_dropped_packets_total", "reason=\"no_match\"");
        LabProcess listener = lab.start("udp-listener", chain.ns("server"), List.of(PYTHON, "-c", """
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("0.0.0.0", 5555))
                s.settimeout(4)
                print("listening", flush=True)
                try:
                    print("received", s.recv(100), flush=True)
                except socket.timeout:
                    print("nothing arrived", flush=True)
                """));
        waitForOutput(listener, "listening", 10);
        LabNamespace.Result sent = chain.ns("client").execResult(10, PYTHON, "-c", """
                import socket, sys
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                for _ in range(5):
                    s.sendto(b"unclassified", (sys.argv[1], 5555))
                """, ChainLab.SERVER);
        assertThat(sent.ok()).as(sent.output()).isTrue();
        sleep(300);
        double after = metrics("ingress").sum("astaire_edge_dropped_packets_total", "reason=\"no_match\"");
        assertThat(after - before).as("UDP to the server matches no rule: dropped at the ingress").isGreaterThanOrEqualTo(5);
        listener.waitFor(10);
        assertThat(listener.output()).as("the server got nothing").contains("nothing arrived").doesNotContain("unclassified");
    }

    @Test
    @Order(8)
    void aOneWayChainCarriesRequestsButItsRepliesAreNotClassifiedAtTheEgress() {
        int oneWay = WEB + 1;
        double before = metrics("egress").sum("astaire_edge_dropped_packets_total", "reason=\"no_match\"");
        LabProcess echo = lab.start("udp-echo", chain.ns("server"), List.of(PYTHON, "-c", """
                import socket, sys
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("0.0.0.0", int(sys.argv[1])))
                s.settimeout(6)
                print("listening", flush=True)
                try:
                    for _ in range(3):
                        data, peer = s.recvfrom(100)
                        print("received", data, flush=True)
                        s.sendto(b"echo " + data, peer)
                except socket.timeout:
                    pass
                """, Integer.toString(ChainLab.ONE_WAY_UDP_PORT)));
        waitForOutput(echo, "listening", 10);
        LabNamespace.Result client = chain.ns("client").execResult(15, PYTHON, "-c", """
                import socket, sys
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(1)
                replies = 0
                for i in range(3):
                    s.sendto(b"one-way %d" % i, (sys.argv[1], int(sys.argv[2])))
                    try:
                        s.recv(100)
                        replies += 1
                    except socket.timeout:
                        pass
                print("replies", replies)
                """, ChainLab.SERVER, Integer.toString(ChainLab.ONE_WAY_UDP_PORT));
        echo.waitFor(10);
        System.out.println("one-way chain: server " + echo.output().strip() + "; client " + client.output().strip());
        assertThat(echo.output()).as("requests travel the one-way chain").contains("received b'one-way 0'", "received b'one-way 2'");
        assertThat(client.output()).as("replies are not classified at the egress").contains("replies 0");
        assertThat(metrics("egress").sum("astaire_edge_dropped_packets_total", "reason=\"no_match\"") - before)
                .isGreaterThanOrEqualTo(3);
        assertThat(metrics("ingress").sum("astaire_edge_path_sent_packets_total", "spi=\"" + oneWay + "\"")).isGreaterThanOrEqualTo(3);
        assertThat(metrics("egress").sum("astaire_edge_path_delivered_packets_total", "spi=\"" + oneWay + "\"")).isGreaterThanOrEqualTo(3);
    }

    @Test
    @Order(9)
    void iperf3ThroughTheChainAndOverAPlainRoutedPath() throws Exception {
        double chained = iperf3("server", ChainLab.SERVER, "client");
        double plain = iperf3("pserver", ChainLab.PLAIN_SERVER, "pclient");
        String report = String.format(Locale.ROOT,
                "iperf3 TCP, 4 s, one stream, same machine and run:%n"
                        + "  through the chain (ingress -> acl -> count -> pass -> egress, NSH over VXLAN-GPE): %.1f Mbit/s%n"
                        + "  plain routed veth path (client -> router -> server, no chain):              %.1f Mbit/s%n",
                chained / 1e6, plain / 1e6);
        System.out.print(report);
        Files.writeString(Path.of("target", "iperf3-results.txt"), report);
        assertThat(chained).isPositive();
        assertThat(plain).isPositive();
    }

    private double iperf3(String serverRole, String serverAddress, String clientRole) throws Exception {
        LabProcess server = lab.start("iperf3-" + serverRole, chain.ns(serverRole), List.of("iperf3", "-s", "-1", "--forceflush", "-B", serverAddress));
        waitForOutput(server, "Server listening", 10);
        Path json = work.resolve("iperf3-" + clientRole + ".json");
        LabNamespace.Result r = chain.ns(clientRole).execResult(40, "sh", "-c",
                "iperf3 -c " + serverAddress + " -t 4 -J > " + json);
        assertThat(r.ok()).as("iperf3: " + r.output() + Files.readString(json)).isTrue();
        server.waitFor(10);
        String text = Files.readString(json);
        int at = text.indexOf("\"sum_received\"");
        int bps = text.indexOf("\"bits_per_second\"", at);
        String number = text.substring(text.indexOf(':', bps) + 1, text.indexOf(',', bps)).trim();
        return Double.parseDouble(number);
    }

    private PromText metrics(String role) {
        LabNamespace.Result r = chain.ns(role).execResult(10, "curl", "-sf", "-m", "5", "http://127.0.0.1:9090/metrics");
        assertThat(r.ok()).as(role + " /metrics: " + r.output()).isTrue();
        return PromText.parse(r.output());
    }

    static void awaitListening(LabNamespace ns, int port, LabProcess p) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (ns.execResult(5, "curl", "-s", "-o", "/dev/null", "-m", "1", "http://127.0.0.1:" + port + "/").ok()) {
                return;
            }
            assertThat(p.isAlive()).as(p.output()).isTrue();
            sleep(200);
        }
        throw new AssertionError(p.name() + " not listening on " + port + ": " + p.output());
    }

    private static void waitForOutput(LabProcess p, String text, int seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline && !p.output().contains(text)) {
            sleep(100);
        }
        assertThat(p.output()).as(p.name()).contains(text);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path logbackConfig() throws IOException {
        Path f = work.resolve("logback.xml");
        Files.writeString(f, """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} [%thread] %-5level %logger{20} - %msg%n</pattern></encoder>
                  </appender>
                  <root level="INFO"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
        return f;
    }

    static boolean onPath(String tool) {
        if (tool.startsWith("/")) {
            return Files.isExecutable(Path.of(tool));
        }
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
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
