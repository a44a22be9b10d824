package io.astaire.systest.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.oam.OamEcho;
import io.astaire.k8s.EdgeMode;
import io.astaire.k8s.LabelSelectors;
import io.astaire.k8s.ManifestRenderer;
import io.astaire.k8s.Names;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rendered NetworkPolicy, enforced the way a CNI enforces it: pods are network namespaces on
 * a bridge (in a namespace of its own), each with the labels of a rendered pod template; the
 * policy is translated into nftables rules on that bridge (its pod selector picks the protected
 * pods, its peers' selectors pick the allowed sources, its ports the allowed ports, the rest to a
 * protected pod dropped and counted). A real function node ({@code astaire sf}) answers NSH OAM
 * echoes: from the chain's ingress pod it answers, from the ingress of another chain in the same
 * namespace (who could otherwise enter the chain after its ACL) nothing arrives, and the nftables
 * counters say which rule saw which packet. Before the policy is applied both get answers, so the
 * drop is the policy's doing. With sidecar edges the same holds for a workload pod labelled as
 * {@code k8s inject} labels it, against another chain's sidecar.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class NetworkPolicyEnforcementTest {

    private static final Path EXAMPLE = Path.of("../examples/chain.yaml").toAbsolutePath().normalize();
    private static final String NAMESPACE = "sfc";
    private static final String ECHO = """
            import binascii, socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((sys.argv[1], 40000))
            s.settimeout(1.5)
            s.sendto(binascii.unhexlify(sys.argv[3]), (sys.argv[2], int(sys.argv[4])))
            try:
                data, peer = s.recvfrom(2048)
                print("reply" if len(data) == int(sys.argv[5]) and data[36] == 2 else "other")
            except socket.timeout:
                print("none")
            """;

    /** A pod: its network namespace, address and the labels of the pod template it stands for. */
    private record Pod(String name, String netns, String ip, Map<String, String> labels) {}

    private final String id = "k8np" + ProcessHandle.current().pid() % 100000 + "x" + ThreadLocalRandom.current().nextInt(100);
    private final String bridgeNs = id + "-br";
    private final List<Pod> pods = new ArrayList<>();
    private Path work;
    private Process function;

    private record Result(int exit, String out) {}

    private static Result exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    private static void ok(String... command) throws IOException, InterruptedException {
        Result r = exec(command);
        assertThat(r.exit()).as(String.join(" ", command) + ": " + r.out()).isZero();
    }

    @BeforeEach
    void bridge() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (network namespaces, nftables)");
        for (String tool : List.of("/usr/sbin/nft", "/usr/bin/python3")) {
            assumeTrue(Files.isExecutable(Path.of(tool)), "needs " + tool + " (see .ci/install-test-tools)");
        }
        String jar = System.getProperty("astaire.jar");
        assumeTrue(jar != null && Files.isRegularFile(Path.of(jar)), "needs the packaged astaire.jar (run through Maven)");
        work = Files.createTempDirectory("astaire-np");
        ok("ip", "netns", "add", bridgeNs);
        ok("ip", "-n", bridgeNs, "link", "add", "br0", "type", "bridge");
        ok("ip", "-n", bridgeNs, "link", "set", "br0", "up");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (function != null) {
            function.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (Pod p : pods) {
            exec("ip", "netns", "del", p.netns());
        }
        exec("ip", "netns", "del", bridgeNs);
        if (work != null) {
            try (var files = Files.list(work)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(work);
        }
    }

    private Pod pod(String name, int host, Map<String, String> labels) throws Exception {
        String netns = id + "-" + name;
        String ip = "10.98.0." + host;
        ok("ip", "netns", "add", netns);
        ok("ip", "-n", netns, "link", "set", "lo", "up");
        ok("ip", "-n", bridgeNs, "link", "add", "v" + host, "type", "veth", "peer", "name", "eth0", "netns", netns);
        ok("ip", "-n", bridgeNs, "link", "set", "v" + host, "master", "br0", "up");
        ok("ip", "-n", netns, "addr", "add", ip + "/24", "dev", "eth0");
        ok("ip", "-n", netns, "link", "set", "eth0", "up");
        Pod p = new Pod(name, netns, ip, labels);
        pods.add(p);
        return p;
    }

    private static Map<String, String> podLabels(List<HasMetadata> objects, String deployment) {
        return objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .filter(d -> d.getMetadata().getName().equals(deployment)).findFirst().orElseThrow()
                .getSpec().getTemplate().getMetadata().getLabels();
    }

    /** The policy as nftables rules on the bridge: what a NetworkPolicy-enforcing CNI does for these pods. */
    private String nftables(NetworkPolicy policy) {
        StringBuilder rules = new StringBuilder();
        for (Pod target : pods) {
            if (!LabelSelectors.matches(policy.getSpec().getPodSelector(), target.labels())) {
                continue;
            }
            for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
                String sources = "";
                if (!rule.getFrom().isEmpty()) {
                    List<String> ips = new ArrayList<>();
                    for (NetworkPolicyPeer peer : rule.getFrom()) {
                        assertThat(peer.getNamespaceSelector()).as("same-namespace peers only").isNull();
                        pods.stream().filter(p -> LabelSelectors.matches(peer.getPodSelector(), p.labels())).forEach(p -> ips.add(p.ip()));
                    }
                    if (ips.isEmpty()) {
                        continue;
                    }
                    sources = " ip saddr { " + String.join(", ", ips) + " }";
                }
                for (NetworkPolicyPort port : rule.getPorts()) {
                    String proto = port.getProtocol().toLowerCase(java.util.Locale.ROOT);
                    String counter = sources.isEmpty() ? "" : " counter name allowed_" + target.name();
                    rules.append("    ip daddr ").append(target.ip()).append(sources).append(' ').append(proto)
                            .append(" dport ").append(port.getPort().getIntVal()).append(counter).append(" accept\n");
                }
            }
            rules.append("    ip daddr ").append(target.ip()).append(" counter name dropped_").append(target.name()).append(" drop\n");
        }
        StringBuilder counters = new StringBuilder();
        for (Pod p : pods) {
            counters.append("  counter allowed_").append(p.name()).append(" {}\n  counter dropped_").append(p.name()).append(" {}\n");
        }
        return "table bridge networkpolicy {\n" + counters + "  chain forward {\n    type filter hook forward priority 0; policy accept;\n"
                + rules + "  }\n}\n";
    }

    private long packets(String counter) throws Exception {
        Result r = exec("ip", "netns", "exec", bridgeNs, "nft", "list", "counter", "bridge", "networkpolicy", counter);
        Matcher m = Pattern.compile("packets (\\d+)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private String echo(Pod from, Pod to, int port) throws Exception {
        ByteBuffer request = ByteBuffer.allocate(OamEcho.LENGTH);
        OamEcho.writeRequest(request, 0, new InetSocketAddress(from.ip(), 40000), 42);
        Result r = exec("ip", "netns", "exec", from.netns(), "python3", work.resolve("echo.py").toString(), from.ip(), to.ip(),
                HexFormat.of().formatHex(request.array()), Integer.toString(port), Integer.toString(OamEcho.LENGTH));
        return r.out().strip();
    }

    @Test
    void onlyTheChainsOwnPodsReachAFunctionsNshPort() throws Exception {
        List<HasMetadata> web = new ManifestRenderer(RenderOptions.defaults().withNamespace(NAMESPACE).withInstance("web"))
                .render(TopologyCodec.read(EXAMPLE));
        List<HasMetadata> mail = new ManifestRenderer(RenderOptions.defaults().withNamespace(NAMESPACE).withInstance("mail"))
                .render(TopologyCodec.read(EXAMPLE));
        onlyTheChainPodReachesTheFunction(web, podLabels(web, "web-ingress"), podLabels(mail, "mail-ingress"));
    }

    /** With --edges sidecar the workload pods that hold the chain's ingress (labelled by k8s inject) are the chain's. */
    @Test
    void withSidecarEdgesTheInjectedPodsOfTheChainReachAFunctionsNshPort() throws Exception {
        List<HasMetadata> web = new ManifestRenderer(RenderOptions.defaults().withNamespace(NAMESPACE).withInstance("web")
                .withEdges(EdgeMode.SIDECAR)).render(TopologyCodec.read(EXAMPLE));
        onlyTheChainPodReachesTheFunction(web, Map.of("app", "shop", Names.MEMBER_LABEL, "web", Names.EDGE_LABEL, "ingress"),
                Map.of("app", "post", Names.MEMBER_LABEL, "mail", Names.EDGE_LABEL, "ingress"));
    }

    private void onlyTheChainPodReachesTheFunction(List<HasMetadata> web, Map<String, String> chainPodLabels,
                                                   Map<String, String> intruderLabels) throws Exception {
        NetworkPolicy policy = web.stream().filter(NetworkPolicy.class::isInstance).map(NetworkPolicy.class::cast).findFirst().orElseThrow();
        Deployment acl = web.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .filter(d -> d.getMetadata().getName().equals("web-acl")).findFirst().orElseThrow();
        List<String> args = acl.getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs();
        int nshPort = Integer.parseInt(args.get(args.indexOf("--listen") + 1).split(":")[1]);

        Pod fn = pod("fn", 2, podLabels(web, "web-acl"));
        Pod ingress = pod("in", 3, chainPodLabels);
        Pod intruder = pod("out", 4, intruderLabels);
        Files.writeString(work.resolve("echo.py"), ECHO);

        // The function node with the rendered arguments, its topology file where the pod mounts it.
        Files.copy(EXAMPLE, work.resolve("chain.yaml"));
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", fn.netns(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx128m", "-XX:+UseSerialGC", "-jar", System.getProperty("astaire.jar")));
        for (String a : args) {
            command.add(a.equals("/etc/astaire/chain.yaml") ? work.resolve("chain.yaml").toString() : a);
        }
        function = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("sf.log").toFile()).start();

        // Without the policy, any pod reaches the function.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> echo(ingress, fn, nshPort).equals("reply"));
        assertThat(echo(intruder, fn, nshPort)).as("before the policy").isEqualTo("reply");

        Path rules = work.resolve("policy.nft");
        Files.writeString(rules, nftables(policy));
        ok("ip", "netns", "exec", bridgeNs, "nft", "-f", rules.toString());

        assertThat(echo(intruder, fn, nshPort)).as("another chain's pod, with the policy").isEqualTo("none");
        assertThat(packets("dropped_fn")).isEqualTo(1);
        assertThat(echo(ingress, fn, nshPort)).as("the chain's ingress, with the policy").isEqualTo("reply");
        assertThat(packets("allowed_fn")).isEqualTo(1);
        assertThat(packets("dropped_fn")).as("nothing of the chain's own is dropped").isEqualTo(1);
        // The ops port stays open (probes, scrapers): the policy's second rule.
        assertThat(Files.readString(rules)).contains("ip daddr " + fn.ip() + " tcp dport 9090 accept");
        assertThat(function.isAlive()).as(Files.readString(work.resolve("sf.log"))).isTrue();
    }
}
