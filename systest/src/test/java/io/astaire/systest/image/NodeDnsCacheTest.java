package io.astaire.systest.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.k8s.ManifestRenderer;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The design note's node-local DNS cache, end to end with the real dnsmasq: in a network
 * namespace standing for a node, one dnsmasq plays the cluster DNS (127.0.0.3, it knows
 * {@code acl.sfc.svc.cluster.local}), another runs with the rendered DaemonSet's arguments on the
 * "node IP" 127.0.0.2. A lookup sent to the node IP (what a node does first with DNS_IP, see
 * dataplane's FallbackNameLookupTest for the fallback) is answered through the cache; a second
 * lookup does not reach the cluster DNS again. The cache listens on the node IP only.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NodeDnsCacheTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final String NODE_IP = "127.0.0.2";
    private static final String CLUSTER_DNS = "127.0.0.3";
    private static final String NAME = "acl.sfc.svc.cluster.local";
    private static final String POD_RESOLV_CONF = """
            search sfc.svc.cluster.local svc.cluster.local cluster.local
            nameserver 127.0.0.2
            options ndots:5 timeout:1 attempts:1
            """;

    private String netns;
    private Path work;
    private Path netnsEtc;
    private final List<Process> daemons = new ArrayList<>();

    @BeforeEach
    void node() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (network namespaces)");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/dnsmasq")), "needs dnsmasq (see .ci/install-test-tools)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/getent")), "needs getent");
        netns = "k8sdns-" + ProcessHandle.current().pid() + "-" + ThreadLocalRandom.current().nextInt(1000);
        work = Files.createTempDirectory("astaire-dns");
        assertThat(exec(Map.of(), "ip", "netns", "add", netns).exit()).isZero();
        exec(Map.of(), "ip", "-n", netns, "link", "set", "lo", "up");
        exec(Map.of(), "ip", "-n", netns, "addr", "add", NODE_IP + "/8", "dev", "lo");
        exec(Map.of(), "ip", "-n", netns, "addr", "add", CLUSTER_DNS + "/8", "dev", "lo");
        // `ip netns exec` bind-mounts this file over /etc/resolv.conf, as a runtime does for a pod.
        netnsEtc = Path.of("/etc/netns", netns);
        Files.createDirectories(netnsEtc);
        Files.writeString(netnsEtc.resolve("resolv.conf"), POD_RESOLV_CONF);
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : daemons) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (netns != null) {
            exec(Map.of(), "ip", "netns", "del", netns);
        }
        for (Path dir : new Path[] {netnsEtc, work}) {
            if (dir != null && Files.exists(dir)) {
                try (var files = Files.list(dir)) {
                    for (Path f : files.toList()) {
                        Files.deleteIfExists(f);
                    }
                }
                Files.deleteIfExists(dir);
            }
        }
    }

    private record Result(int exit, String out) {}

    private Result exec(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    private void daemon(String name, List<String> command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(command);
        daemons.add(new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(work.resolve(name + ".out").toFile()).start());
    }

    private static Container renderedDnsmasq() {
        var options = new RenderOptions("sfc", "astaire", "astaire:1", true, "sfc", RenderOptions.DEFAULT_DNSMASQ_IMAGE,
                CLUSTER_DNS, false, false, null, "1Gi", "astaire0", null);
        DaemonSet ds = (DaemonSet) new ManifestRenderer(options).renderDnsmasq().getFirst();
        return ds.getSpec().getTemplate().getSpec().getContainers().getFirst();
    }

    private long clusterDnsQueriesFor(String name) throws IOException {
        Path log = work.resolve("cluster.log");
        return Files.exists(log) ? Files.readAllLines(log).stream().filter(l -> l.contains("query[A] " + name + " from")).count() : 0;
    }

    @Test
    void podsResolveClusterNamesThroughTheNodeCache() throws Exception {
        // The cluster DNS stand-in.
        daemon("cluster", List.of("/usr/sbin/dnsmasq", "--keep-in-foreground", "-C", "/dev/null", "--no-resolv", "--bind-interfaces",
                "--listen-address=" + CLUSTER_DNS, "--pid-file=" + work.resolve("cluster.pid"), "--user=root",
                "--host-record=" + NAME + ",10.244.1.7", "--local-ttl=60", "--log-queries", "--log-facility=" + work.resolve("cluster.log")));

        // The node cache with the DaemonSet's arguments; HOST_IP as the kubelet expands it.
        Container dnsmasq = renderedDnsmasq();
        assertThat(dnsmasq.getCommand()).containsExactly("/usr/sbin/dnsmasq");
        List<String> node = new ArrayList<>(dnsmasq.getCommand());
        // The image's user does not exist on this machine: the cache stays root here.
        dnsmasq.getArgs().stream().filter(a -> !a.startsWith("--user=") && !a.startsWith("--group="))
                .forEach(a -> node.add(a.replace("$(HOST_IP)", NODE_IP)));
        // Only for this machine: no config file of the host's, no upstream for other names.
        node.addAll(List.of("-C", "/dev/null", "--no-resolv", "--user=root"));
        daemon("node", node);
        Thread.sleep(500);

        // The cache answers on the node IP only, not on the cluster DNS's address or loopback.
        Result first = exec(Map.of(), "ip", "netns", "exec", netns, "getent", "ahostsv4", NAME);
        assertThat(first.exit()).as(first.out()).isZero();
        assertThat(first.out()).contains("10.244.1.7");
        assertThat(exec(Map.of(), "ip", "netns", "exec", netns, "ss", "-Hlun").out())
                .contains(NODE_IP + ":53").doesNotContain("127.0.0.1:53").doesNotContain("0.0.0.0:53");
        // dnsmasq writes its log a moment after answering.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (clusterDnsQueriesFor(NAME) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(clusterDnsQueriesFor(NAME)).isEqualTo(1);

        // Again: answered from the node cache, the cluster DNS is not asked.
        Result second = exec(Map.of(), "ip", "netns", "exec", netns, "getent", "ahostsv4", NAME);
        assertThat(second.out()).contains("10.244.1.7");
        Thread.sleep(500);
        assertThat(clusterDnsQueriesFor(NAME)).isEqualTo(1);
    }
}
