package io.astaire.systest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.cli.lab.ChainLab;
import io.astaire.cli.lab.Lab;
import io.astaire.cli.lab.LabNamespace;
import io.astaire.cli.lab.LabProcess;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A chain whose every hop has an IPv6 address, started with no {@code --listen} anywhere: each
 * role binds its own topology address (checked with {@code ss}), in IPv6, its operations endpoint
 * on loopback only, and ping and a download cross the chain both ways. (Before, every role bound
 * an IPv4 wildcard whatever the topology said: the first function received nothing, every send
 * failed, and every role still answered ready.)
 */
class Ipv6UnderlayTest {
    static final int FILE_BYTES = 2 * 1024 * 1024 + 777;
    static final String[] FUNCTIONS = {"acl", "count", "pass"};

    private Lab lab;

    @AfterEach
    void teardown() {
        if (lab != null) {
            lab.close();
        }
    }

    static String underlay6(String role) {
        String v4 = ChainLab.underlayAddress(role);
        return "fd00:99::" + v4.substring(v4.lastIndexOf('.') + 1);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void anAllIpv6ChainCarriesPingAndADownloadWithDefaultListenAddresses() throws Exception {
        String reason = Lab.unavailableReason();
        assumeTrue(reason == null, () -> "IPv6 underlay test skipped: " + reason);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3 for the web server");
        Path jar = DemoSmokeTest.jar();
        Path work = Path.of("target").toAbsolutePath().resolve("ipv6-" + ProcessHandle.current().pid());
        Files.createDirectories(work);
        lab = new Lab(work);
        ChainLab chain = ChainLab.build(lab, List.of(DemoSmokeTest.java(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx128m", "-XX:+UseSerialGC", "-jar", jar.toString()), 3);
        List<String> underlay = new ArrayList<>(List.of("ingress", "egress"));
        for (int i = 1; i <= 3; i++) {
            underlay.add("sf" + i);
        }
        for (String role : underlay) {
            lab.address(chain.ns(role), "u0", underlay6(role) + "/64");
        }
        String topology = ChainLab.standardTopology(10, 8023);
        for (String role : underlay) {
            topology = topology.replace(ChainLab.underlayAddress(role) + ":4790", "\"[" + underlay6(role) + "]:4790\"");
        }
        assertThat(topology).doesNotContain("10.99.0.");
        Path file = work.resolve("topology.yaml");
        Files.writeString(file, topology);

        List<LabProcess> nodes = new ArrayList<>();
        for (int i = 0; i < FUNCTIONS.length; i++) {
            nodes.add(chain.startAstaire("sf-" + FUNCTIONS[i], "sf" + (i + 1), "sf", "--function", FUNCTIONS[i],
                    "--topology", file.toString(), "--workers", "1"));
        }
        nodes.add(chain.startAstaire("ingress", "ingress", "ingress", "--topology", file.toString(), "--tun", "tin0"));
        nodes.add(chain.startAstaire("egress", "egress", "egress", "--topology", file.toString(), "--tun", "teg0"));
        for (LabProcess p : nodes) {
            chain.awaitReady(p, 9090, 60);
        }
        chain.routeIntoTunnels("tin0", "teg0");

        for (String role : underlay) {
            LabNamespace.Result udp = chain.ns(role).execResult(10, "ss", "-H", "-uln", "sport = :4790");
            assertThat(udp.output().trim()).as(role + " listens on its topology address only: " + udp.output())
                    .contains("[" + underlay6(role) + "]:4790").doesNotContain("*:4790").doesNotContain("0.0.0.0:4790");
            LabNamespace.Result tcp = chain.ns(role).execResult(10, "ss", "-H", "-tln", "sport = :9090");
            assertThat(tcp.output().trim()).as(role + " serves /metrics on loopback only: " + tcp.output())
                    .containsPattern("127\\.0\\.0\\.1\\]?:9090") // [::ffff:127.0.0.1]:9090 from the JDK's dual-stack socket
                    .doesNotContain("*:9090").doesNotContain("0.0.0.0:9090");
        }

        LabNamespace.Result ping = chain.ns("client").execResult(20, "ping", "-c", "5", "-i", "0.2", "-W", "2", ChainLab.SERVER);
        assertThat(ping.output()).as(ping.output()).contains(" 0% packet loss");
        LabNamespace.Result ping6 = chain.ns("client").execResult(20, "ping", "-6", "-c", "5", "-i", "0.2", "-W", "2", ChainLab.SERVER6);
        assertThat(ping6.output()).as(ping6.output()).contains(" 0% packet loss");

        Path served = work.resolve("www");
        Files.createDirectories(served);
        byte[] blob = new byte[FILE_BYTES];
        new Random(6).nextBytes(blob);
        Files.write(served.resolve("blob.bin"), blob);
        LabProcess web = lab.start("http", chain.ns("server"), List.of("/usr/bin/python3", "-m", "http.server", "8000",
                "--bind", "::", "--directory", served.toString()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!chain.ns("server").execResult(5, "curl", "-s", "-o", "/dev/null", "-m", "1", "http://127.0.0.1:8000/").ok()) {
            assertThat(web.isAlive()).as(web.output()).isTrue();
            assertThat(System.nanoTime() < deadline).as("web server up").isTrue();
            Thread.sleep(200);
        }
        Path got = work.resolve("fetched.bin");
        LabNamespace.Result r = chain.ns("client").execResult(60, "curl", "-sS", "-m", "50", "-o", got.toString(),
                "http://" + ChainLab.SERVER + ":8000/blob.bin");
        assertThat(r.ok()).as(r.output()).isTrue();
        assertThat(sha256(got)).isEqualTo(sha256(served.resolve("blob.bin")));
        Path got6 = work.resolve("fetched6.bin");
        LabNamespace.Result r6 = chain.ns("client").execResult(60, "curl", "-sS", "-g", "-m", "50", "-o", got6.toString(),
                "http://[" + ChainLab.SERVER6 + "]:8000/blob.bin");
        assertThat(r6.ok()).as(r6.output()).isTrue();
        assertThat(sha256(got6)).isEqualTo(sha256(served.resolve("blob.bin")));
    }

    private static String sha256(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        }
    }
}
