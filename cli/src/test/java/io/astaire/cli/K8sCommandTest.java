package io.astaire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class K8sCommandTest {

    private static final Path EXAMPLE = Path.of("../examples/chain.yaml");

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = AstaireCommand.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static List<HasMetadata> parse(String stream) {
        var serialization = new KubernetesSerialization();
        List<HasMetadata> objects = new ArrayList<>();
        for (String doc : stream.split("(?m)^---\\s*$")) {
            if (!doc.isBlank()) {
                objects.add(serialization.unmarshal(doc));
            }
        }
        return objects;
    }

    @Test
    void rendersTheExampleChainAsAYamlStream() {
        Run r = run("k8s", "render", "-f", EXAMPLE.toString(), "--namespace", "sfc", "--image", "astaire:test");
        assertThat(r.exit()).as(r.err()).isZero();
        List<HasMetadata> objects = parse(r.out());
        assertThat(objects).extracting(o -> o.getKind() + "/" + o.getMetadata().getName())
                .contains("Deployment/astaire-acl", "Service/astaire-acl", "Deployment/astaire-count", "Deployment/astaire-pass",
                        "Deployment/astaire-ingress", "Deployment/astaire-egress", "Deployment/astaire-controller", "ConfigMap/astaire-chain",
                        "NetworkPolicy/astaire-functions")
                .doesNotContain("DaemonSet/astaire-dnsmasq");
        assertThat(r.err()).contains("--dnsmasq-only");
        assertThat(objects).allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).isEqualTo("sfc"));
        Deployment acl = (Deployment) objects.stream().filter(o -> o.getMetadata().getName().equals("astaire-acl") && o instanceof Deployment).findFirst().orElseThrow();
        assertThat(acl.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage()).isEqualTo("astaire:test");
    }

    /** The arguments the manifests give each role are ones the real commands accept. */
    @Test
    void everyRenderedCommandLineParsesWithTheRealCommands() {
        for (String[] extra : List.of(new String[0], new String[] {"--nodes-from-controller"})) {
            List<String> args = new ArrayList<>(List.of("k8s", "render", "-f", EXAMPLE.toString()));
            args.addAll(List.of(extra));
            Run r = run(args.toArray(String[]::new));
            assertThat(r.exit()).as(r.err()).isZero();
            List<List<String>> commandLines = parse(r.out()).stream().filter(Deployment.class::isInstance)
                    .map(d -> ((Deployment) d).getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs()).toList();
            assertThat(commandLines).extracting(List::getFirst).contains("sf", "ingress", "egress", "controller");
            for (List<String> commandLine : commandLines) {
                var parsed = AstaireCommand.commandLine().parseArgs(commandLine.toArray(String[]::new));
                assertThat(parsed.subcommand()).as(String.join(" ", commandLine)).isNotNull();
                assertThat(parsed.subcommand().commandSpec().name()).isEqualTo(commandLine.getFirst());
                assertThat(parsed.subcommand().unmatched()).as(String.join(" ", commandLine)).isEmpty();
            }
        }
    }

    @Test
    void switchesOffDnsmasqAndTheController() {
        Run r = run("k8s", "render", "-f", EXAMPLE.toString(), "--no-dnsmasq", "--no-controller");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(parse(r.out())).extracting(HasMetadata::getKind).doesNotContain("DaemonSet", "Secret", "PersistentVolumeClaim");
        assertThat(r.out()).doesNotContain("DNS_IP").doesNotContain("astaire-controller");
        assertThat(r.err()).doesNotContain("--dnsmasq-only");
        Run noPolicy = run("k8s", "render", "-f", EXAMPLE.toString(), "--no-network-policy");
        assertThat(parse(noPolicy.out())).extracting(HasMetadata::getKind).doesNotContain("NetworkPolicy");
    }

    @Test
    void sidecarEdgesRenderOnlyTheEdgesServicesSelectingTheInjectedPods() {
        Run r = run("k8s", "render", "-f", EXAMPLE.toString(), "--instance", "web", "--edges", "sidecar");
        assertThat(r.exit()).as(r.err()).isZero();
        List<HasMetadata> objects = parse(r.out());
        assertThat(objects).filteredOn(Deployment.class::isInstance).extracting(o -> o.getMetadata().getName())
                .doesNotContain("web-ingress", "web-egress").contains("web-controller");
        assertThat(objects).filteredOn(o -> o instanceof Service s && s.getMetadata().getName().equals("web-egress"))
                .singleElement().satisfies(o -> assertThat(((Service) o).getSpec().getSelector())
                        .containsExactlyInAnyOrderEntriesOf(Map.of("astaire.io/member-of", "web", "astaire.io/edge", "egress")));
        Run gateway = run("k8s", "render", "-f", EXAMPLE.toString(), "--instance", "web");
        assertThat(parse(gateway.out())).filteredOn(Deployment.class::isInstance).extracting(o -> o.getMetadata().getName())
                .contains("web-ingress", "web-egress");
        Run bad = run("k8s", "render", "-f", EXAMPLE.toString(), "--edges", "mesh");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("--edges: 'mesh'");
        Run mtu = run("k8s", "render", "-f", EXAMPLE.toString(), "--edges", "sidecar", "--underlay-mtu", "9000");
        assertThat(mtu.exit()).isEqualTo(1);
        assertThat(mtu.err()).contains("--underlay-mtu");
    }

    @Test
    void theDnsmasqCacheIsRenderedAloneOncePerCluster() {
        Run r = run("k8s", "render", "--dnsmasq-only", "--dnsmasq-namespace", "kube-system", "--image", "astaire:test");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(parse(r.out())).singleElement().satisfies(o -> {
            assertThat(o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()).isEqualTo("DaemonSet/kube-system/astaire-dnsmasq");
            assertThat(((io.fabric8.kubernetes.api.model.apps.DaemonSet) o).getSpec().getTemplate().getSpec().getContainers().getFirst().getImage())
                    .isEqualTo("astaire:test");
        });
    }

    @Test
    void aTokenFileKeepsTheTokenAcrossRenders(@TempDir Path dir) throws Exception {
        Path tokenFile = dir.resolve("web.token");
        Run first = run("k8s", "render", "-f", EXAMPLE.toString(), "--token-file", tokenFile.toString());
        assertThat(first.exit()).as(first.err()).isZero();
        String token = Files.readString(tokenFile).strip();
        assertThat(token).hasSize(64);
        assertThat(Files.getPosixFilePermissions(tokenFile)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        Run second = run("k8s", "render", "-f", EXAMPLE.toString(), "--token-file", tokenFile.toString());
        assertThat(second.out()).as("the same objects, Secrets and pod checksums included").isEqualTo(first.out());
        assertThat(first.out()).contains(java.util.Base64.getEncoder().encodeToString(token.getBytes()));

        Files.writeString(tokenFile, "short\n");
        Run bad = run("k8s", "render", "-f", EXAMPLE.toString(), "--token-file", tokenFile.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("--token-file").contains("holds no token");
    }

    @Test
    void writesOneFilePerObjectIntoADirectory(@TempDir Path dir) throws Exception {
        Run r = run("k8s", "render", "-f", EXAMPLE.toString(), "-o", dir.resolve("out").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        try (var files = Files.list(dir.resolve("out"))) {
            assertThat(files.map(f -> f.getFileName().toString()).toList()).contains("01-serviceaccount-astaire.yaml", "06-secret-astaire-node-token.yaml").hasSize(20);
        }
        assertThat(r.err()).contains("wrote 20 files");
    }

    @Test
    void aBrokenChainFailsNamingTheField(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "functions:\n  - name: acl\n    kind: acl\n    address: 10.0.0.1:99999\n");
        Run r = run("k8s", "render", "-f", bad.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("functions[0].address").contains("99999");
        assertThat(r.out()).isEmpty();

        Run missing = run("k8s", "render", "-f", dir.resolve("none.yaml").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("no such file");
    }

    @Test
    void aBadOptionFailsNamingTheOption() {
        Run r = run("k8s", "render", "-f", EXAMPLE.toString(), "--namespace", "Bad_NS");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--namespace");
        Run noFile = run("k8s", "render");
        assertThat(noFile.exit()).isEqualTo(2);
        assertThat(noFile.err()).contains("--file").contains("--dnsmasq-only");
        Run badName = run("k8s", "render", "-f", EXAMPLE.toString(), "--instance", "1web");
        assertThat(badName.exit()).isEqualTo(1);
        assertThat(badName.err()).contains("--instance").contains("DNS-1035");
    }
}
