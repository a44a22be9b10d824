package io.astaire.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import io.astaire.model.ModelException;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One validation wherever a chain enters: each input that {@code astaire k8s render} refuses is
 * refused by the Helm chart too, with a message naming the field, both through {@code chain}
 * (values.schema.json and the templates) and through {@code chainYaml} (the templates alone:
 * the schema cannot see into a string). Each case is also fed to the renderer, which must refuse it.
 */
class HelmChartRefusesTest {

    private static final Path CHART = Path.of("../deploy/helm/astaire").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private static final String GOOD_TAIL = """
            chains:
              - name: web
                spi: 10
                functions: [acl]
            rules:
              - name: all
                chain: web
            ingress:
              address: 10.0.0.1:4790
            egress:
              address: 10.0.0.1:4794
            """;

    /** A chain whose functions section is {@code functions}, followed by a good rest unless {@code tail} replaces it. */
    private static String chain(String functions, String tail) {
        return "functions:\n" + functions + (tail != null ? tail : GOOD_TAIL);
    }

    private static final String ACL = "  - name: acl\n    kind: acl\n    address: 10.0.0.1:4791\n";

    static Stream<Arguments> badChains() {
        return Stream.of(
                Arguments.of("a function not declared", chain(ACL, GOOD_TAIL.replace("[acl]", "[acl, nat]")),
                        "chain.chains[0].functions[1]", "'nat' is not a declared function"),
                Arguments.of("a duplicate SPI", chain(ACL, GOOD_TAIL.replace("rules:", "  - name: mail\n    spi: 10\n    functions: [acl]\nrules:")),
                        "chain.chains[1].spi", "10 is used by another chain"),
                Arguments.of("an unknown field", chain("  - name: acl\n    kind: acl\n    address: 10.0.0.1:4791\n    replica: 2\n", null),
                        "chain.functions[0].replica", "unknown field"),
                Arguments.of("replicas 0", chain("  - name: acl\n    kind: acl\n    address: 10.0.0.1:4791\n    replicas: 0\n", null),
                        "chain.functions[0].replicas", "at least 1"),
                Arguments.of("a name starting with a digit", chain("  - name: 1fn\n    kind: acl\n    address: 10.0.0.1:4791\n", GOOD_TAIL.replace("[acl]", "[1fn]")),
                        "chain.functions[0].name", "'1fn' is not a valid Kubernetes name"),
                Arguments.of("a name of digits only", chain("  - name: \"123\"\n    kind: acl\n    address: 10.0.0.1:4791\n", GOOD_TAIL.replace("[acl]", "[\"123\"]")),
                        "chain.functions[0].name", "'123' is not a valid Kubernetes name"),
                Arguments.of("a function named kubernetes", chain("  - name: kubernetes\n    kind: acl\n    address: 10.0.0.1:4791\n", GOOD_TAIL.replace("[acl]", "[kubernetes]")),
                        "chain.functions[0].name", "'kubernetes' is reserved"),
                Arguments.of("a function named like an edge", chain("  - name: egress\n    kind: acl\n    address: 10.0.0.1:4791\n", GOOD_TAIL.replace("[acl]", "[egress]")),
                        "chain.functions[0].name", "'egress' is reserved"),
                Arguments.of("no kind", chain("  - name: acl\n    address: 10.0.0.1:4791\n", null),
                        "chain.functions[0].kind", "required"),
                Arguments.of("a rule for no chain", chain(ACL, GOOD_TAIL.replace("chain: web", "chain: mail")),
                        "chain.rules[0].chain", "'mail' is not a declared chain"),
                Arguments.of("no egress", chain(ACL, GOOD_TAIL.substring(0, GOOD_TAIL.indexOf("egress:"))),
                        "chain.egress.address", "required"));
    }

    private String helmError(String values) throws Exception {
        Path file = dir.resolve("values-" + System.nanoTime() + ".yaml");
        Files.writeString(file, "image:\n  repository: astaire\n  tag: \"1\"\n" + values);
        try {
            new Helm(CHART).template().withName("astaire").withNamespace("sfc").withValuesFile(file).call();
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
        throw new AssertionError("the chart installed:\n" + values);
    }

    private static String indent(String yaml) {
        StringBuilder sb = new StringBuilder();
        yaml.lines().forEach(l -> sb.append("  ").append(l).append('\n'));
        return sb.toString();
    }

    /** What render says of the chain (model and Kubernetes checks), or null when it renders. */
    private static String renderError(String chainYaml) {
        try {
            new ManifestRenderer(RenderOptions.defaults()).render(TopologyCodec.parse(chainYaml));
            return null;
        } catch (ModelException | IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badChains")
    void renderAndTheChartRefuseTheSameChains(String what, String chainYaml, String field, String problem) throws Exception {
        assertThat(renderError(chainYaml)).as("render refuses " + what).isNotNull();
        String viaChainYaml = helmError("chainYaml: |\n" + indent(chainYaml));
        assertThat(viaChainYaml).as(what + " via chainYaml").contains(field).contains(problem);
        // Through values: the schema may say it first, in its own words; it must name the field.
        String viaValues = helmError("chain:\n" + indent(chainYaml));
        String path = field.substring("chain.".length()).replaceAll("\\[(\\d+)]", "/$1").replace('.', '/');
        assertThat(viaValues).as(what + " via chain values").satisfiesAnyOf(
                m -> assertThat(m).contains(field).contains(problem),
                m -> assertThat(m).contains("values don't meet the specifications of the schema").contains(path.substring(0, path.lastIndexOf('/'))));
    }

    @Test
    void badValuesOutsideTheChainAreRefusedByTheSchema() throws Exception {
        assertThat(helmError("replicas:\n  acl: 0\n")).contains("replicas").contains("minimum");
        assertThat(helmError("replicass:\n  acl: 2\n")).contains("replicass");
        assertThat(helmError("controller:\n  token: short\n")).contains("controller").contains("token");
        assertThat(helmError("image:\n  repository: astaire\n  digest: latest\n")).contains("digest");
        assertThat(helmError("dnsmasq:\n  clusterDns: 10.96.0.300\n")).contains("clusterDns");
    }

    @Test
    void anEdgeModeOtherThanGatewayOrSidecarAndAnMtuForSidecarsAreRefusedAsByRender() throws Exception {
        assertThat(helmError("edges: mesh\n")).contains("edges").contains("gateway").contains("sidecar");
        assertThatThrownBy(() -> EdgeMode.parse("mesh")).hasMessageContaining("--edges");
        assertThat(helmError("edges: sidecar\nedge:\n  underlayMtu: 9000\n"))
                .contains("edge.underlayMtu").contains("edges: sidecar does not render");
        assertThatThrownBy(() -> new RenderOptions("sfc", "astaire", "astaire:1", true, "sfc", "astaire:1", RenderOptions.DEFAULT_CLUSTER_DNS,
                true, false, null, "1Gi", "astaire0", 9000, true, EdgeMode.SIDECAR)).hasMessageContaining("--underlay-mtu");
    }

    @Test
    void replicasForAFunctionTheChainLacksIsRefused() throws Exception {
        String values = "replicas:\n  nat: 2\nchainYaml: |\n" + indent(chain(ACL, null));
        assertThat(helmError(values)).contains("replicas.nat").contains("not a function of the chain");
    }

    @Test
    void aReleaseNameTheApiServerRefusesIsRefused() throws Exception {
        Path file = dir.resolve("v.yaml");
        Files.writeString(file, "image:\n  repository: astaire\n  tag: \"1\"\n");
        assertThatThrownBy(() -> new Helm(CHART).template().withName("1web").withNamespace("sfc").withValuesFile(file).call())
                .hasMessageContaining("release name '1web' is not a valid Kubernetes name");
        assertThatThrownBy(() -> RenderOptions.defaults().withInstance("1web")).hasMessageContaining("--instance");
    }

    @Test
    void twoReleasesInOneNamespaceShareNoObjectWhenOnlyOneInstallsTheCache() throws Exception {
        Path first = dir.resolve("first.yaml");
        Files.writeString(first, "image:\n  repository: astaire\n  tag: \"1\"\nchainYaml: |\n" + indent(chain(ACL, null)));
        Path second = dir.resolve("second.yaml");
        Files.writeString(second, "image:\n  repository: astaire\n  tag: \"1\"\ndnsmasq:\n  install: false\nchainYaml: |\n" + indent(chain(ACL, null)));
        List<HasMetadata> all = new ArrayList<>();
        all.addAll(StrictManifests.parse(new Helm(CHART).template().withName("web").withNamespace("sfc").withValuesFile(first).call()));
        all.addAll(StrictManifests.parse(new Helm(CHART).template().withName("mail").withNamespace("sfc").withValuesFile(second).call()));
        Set<String> seen = new HashSet<>();
        for (HasMetadata o : all) {
            assertThat(seen.add(o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()))
                    .as("only once: " + o.getKind() + "/" + o.getMetadata().getName()).isTrue();
        }
        assertThat(all).filteredOn(o -> o.getKind().equals("DaemonSet")).hasSize(1);
        assertThat(seen).contains("Deployment/sfc/web-acl", "Deployment/sfc/mail-acl", "NetworkPolicy/sfc/web-functions");
    }

    @Test
    void aPodMonitorIsOffByDefaultAndSelectsTheChainsNodesWhenOn() throws Exception {
        Path off = dir.resolve("off.yaml");
        Files.writeString(off, "image:\n  repository: astaire\n  tag: \"1\"\n");
        assertThat(new Helm(CHART).template().withName("web").withValuesFile(off).call()).doesNotContain("PodMonitor");
        Path on = dir.resolve("on.yaml");
        Files.writeString(on, "image:\n  repository: astaire\n  tag: \"1\"\npodMonitor:\n  enabled: true\n");
        String out = new Helm(CHART).template().withName("web").withValuesFile(on).call();
        String doc = Stream.of(out.split("(?m)^---\\s*$")).filter(d -> d.contains("kind: PodMonitor")).findFirst().orElseThrow();
        var monitor = new org.yaml.snakeyaml.Yaml().<java.util.Map<String, Object>>load(doc);
        assertThat(monitor).containsEntry("apiVersion", "monitoring.coreos.com/v1");
        assertThat(doc).contains("app.kubernetes.io/instance: \"web\"").contains("port: metrics").contains("path: /metrics");
    }

    @Test
    void anImagePinnedByDigestIsUsedByDigest() throws Exception {
        Path file = dir.resolve("digest.yaml");
        String digest = "sha256:" + "ab".repeat(32);
        Files.writeString(file, "image:\n  repository: registry.example/astaire\n  tag: \"1\"\n  digest: " + digest + "\n");
        List<HasMetadata> objects = StrictManifests.parse(new Helm(CHART).template().withName("web").withValuesFile(file).call());
        assertThat(ManifestRendererTest.astairePods(objects).flatMap(p -> p.getContainers().stream()))
                .isNotEmpty().allSatisfy(c -> assertThat(c.getImage()).isEqualTo("registry.example/astaire@" + digest));
    }
}
