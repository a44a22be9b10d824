package io.astaire.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Helm chart under deploy/helm/astaire, linted and templated by Helm's own code (helm-java),
 * read strictly with the fabric8 model and compared with {@code astaire k8s render} for the same
 * chain: the same objects (kind, name, namespace) with the same content, except what must
 * differ (the managed-by label, the random token, the chain YAML's formatting).
 */
class HelmChartTest {

    private static final Path CHART = Path.of("../deploy/helm/astaire").toAbsolutePath().normalize();
    private static final String IMAGE_VALUES = "image:\n  repository: registry.example/astaire\n  tag: \"1.2\"\n";

    @TempDir
    Path dir;

    private Path values(String extra) throws Exception {
        StringBuilder sb = new StringBuilder(IMAGE_VALUES).append(extra).append("chain:\n");
        Chains.WEB.lines().forEach(l -> sb.append("  ").append(l).append('\n'));
        Path file = dir.resolve("values-" + System.nanoTime() + ".yaml");
        Files.writeString(file, sb.toString());
        return file;
    }

    /** One token on both sides, so that Secrets, the node secret and the pods' token checksums compare exactly. */
    static final String TOKEN = "a-token-both-sides-share-0123456789";

    private static List<HasMetadata> template(Path values) {
        return templateWithToken(values, TOKEN);
    }

    private static List<HasMetadata> templateWithToken(Path values, String token) {
        var template = new Helm(CHART).template().withName("astaire").withNamespace("sfc").withValuesFile(values);
        String out = (token == null ? template : template.set("controller.token", token)).call();
        return StrictManifests.parse(out);
    }

    /** What `astaire k8s render` gives for the chain plus, as the chart installs it by default, the dnsmasq cache. */
    static List<HasMetadata> renderWithCache(RenderOptions options) {
        List<HasMetadata> all = new ArrayList<>(ManifestRendererTest.renderAndReparse(Chains.web(), options.withControllerToken(TOKEN)));
        all.addAll(StrictManifests.parse(ManifestWriter.toYamlStream(new ManifestRenderer(options).renderDnsmasq())));
        return all;
    }

    @Test
    void theChartLintsCleanly() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void theChartAndTheRendererProduceTheSameObjects() throws Exception {
        List<HasMetadata> helm = template(values(""));
        List<HasMetadata> render = renderWithCache(RenderOptions.defaults().withNamespace("sfc").withImage("registry.example/astaire:1.2"));
        assertSameObjects(helm, render);
    }

    @Test
    void aWholeChainFileGivenWithSetFileGivesTheSameObjects() throws Exception {
        Path chainFile = dir.resolve("chain.yaml");
        Files.writeString(chainFile, Chains.WEB);
        Path values = dir.resolve("image.yaml");
        Files.writeString(values, IMAGE_VALUES);
        String out = new Helm(CHART).template().withName("astaire").withNamespace("sfc").withValuesFile(values).set("controller.token", TOKEN)
                .setFile("chainYaml", chainFile).call();
        List<HasMetadata> render = renderWithCache(RenderOptions.defaults().withNamespace("sfc").withImage("registry.example/astaire:1.2"));
        assertSameObjects(StrictManifests.parse(out), render);
    }

    @Test
    void withDnsmasqAndControllerOffTheyStillAgree() throws Exception {
        List<HasMetadata> helm = template(values("dnsmasq:\n  enabled: false\n  install: false\ncontroller:\n  enabled: false\n"));
        List<HasMetadata> render = ManifestRendererTest.renderAndReparse(Chains.web(),
                RenderOptions.defaults().withNamespace("sfc").withImage("registry.example/astaire:1.2").withDnsmasq(false).withController(false));
        assertThat(helm).noneMatch(DaemonSet.class::isInstance).noneMatch(Secret.class::isInstance);
        assertSameObjects(helm, render);
    }

    @Test
    void nodesFromTheControllerAgreeToo() throws Exception {
        List<HasMetadata> helm = template(values("controller:\n  nodesFromController: true\nedge:\n  underlayMtu: 9000\n"));
        List<HasMetadata> render = renderWithCache(new RenderOptions("sfc", "astaire",
                "registry.example/astaire:1.2", true, "sfc", "registry.example/astaire:1.2", RenderOptions.DEFAULT_CLUSTER_DNS,
                true, true, null, "1Gi", "astaire0", 9000));
        assertSameObjects(helm, render);
    }

    @Test
    void sidecarEdgesAgreeWithTheRenderer() throws Exception {
        List<HasMetadata> helm = template(values("edges: sidecar\n"));
        List<HasMetadata> render = renderWithCache(RenderOptions.defaults().withNamespace("sfc").withImage("registry.example/astaire:1.2")
                .withEdges(EdgeMode.SIDECAR));
        assertThat(ManifestRendererTest.byKindAndName(helm)).doesNotContainKeys("Deployment/astaire-ingress", "Deployment/astaire-egress")
                .containsKeys("Service/astaire-ingress", "Service/astaire-egress");
        assertSameObjects(helm, render);
    }

    @Test
    void replicasPerFunctionAndTheTokenComeFromValues() throws Exception {
        List<HasMetadata> helm = templateWithToken(values("replicas:\n  acl: 5\ncontroller:\n  token: an-operator-chosen-token\n"
                + "dnsmasq:\n  namespace: kube-system\n  clusterDns: 10.43.0.10\n"), null);
        DaemonSet dnsmasq = (DaemonSet) ManifestRendererTest.byKindAndName(helm).get("DaemonSet/astaire-dnsmasq");
        assertThat(dnsmasq.getMetadata().getNamespace()).isEqualTo("kube-system");
        assertThat(dnsmasq.getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs()).contains("--server=/cluster.local/10.43.0.10");
        Deployment acl = (Deployment) ManifestRendererTest.byKindAndName(helm).get("Deployment/astaire-acl");
        assertThat(acl.getSpec().getReplicas()).isEqualTo(5);
        ConfigMap cm = (ConfigMap) ManifestRendererTest.byKindAndName(helm).get("ConfigMap/astaire-chain");
        assertThat(TopologyCodec.parse(cm.getData().get("chain.yaml")).function("acl").replicas()).isEqualTo(5);
        assertThat(ManifestRendererTest.token(helm)).isEqualTo("an-operator-chosen-token");
    }

    @Test
    void aGeneratedTokenIsRandom() throws Exception {
        Path values = values("");
        String a = ManifestRendererTest.token(templateWithToken(values, null));
        String b = ManifestRendererTest.token(templateWithToken(values, null));
        assertThat(a).hasSize(64).isNotEqualTo(b);
    }

    @Test
    void aFunctionNamedLikeAnAstaireObjectFailsTheTemplate() throws Exception {
        Path values = dir.resolve("clash.yaml");
        Files.writeString(values, "chainYaml: |\n  functions:\n    - name: egress\n      kind: passthrough\n      address: 10.0.0.1:4791\n");
        assertThatThrownBy(() -> new Helm(CHART).template().withName("astaire").withValuesFile(values).call())
                .hasMessageContaining("chain.functions[0].name").hasMessageContaining("reserved");
    }

    // ---- comparison

    static void assertSameObjects(List<HasMetadata> helm, List<HasMetadata> render) {
        var h = ManifestRendererTest.byKindAndName(helm);
        var r = ManifestRendererTest.byKindAndName(render);
        assertThat(h.keySet()).containsExactlyInAnyOrderElementsOf(r.keySet());
        List<String> differences = new ArrayList<>();
        for (String key : r.keySet()) {
            HasMetadata fromHelm = h.get(key);
            HasMetadata fromRender = r.get(key);
            assertThat(fromHelm.getMetadata().getNamespace()).as(key).isEqualTo(fromRender.getMetadata().getNamespace());
            if (fromRender instanceof ConfigMap cm) {
                assertThat(TopologyCodec.parse(((ConfigMap) fromHelm).getData().get("chain.yaml")))
                        .as(key + " chain").isEqualTo(TopologyCodec.parse(cm.getData().get("chain.yaml")));
            }
            if (fromRender instanceof Secret) {
                String secret = new String(java.util.Base64.getDecoder().decode(((Secret) fromHelm).getData().get("token")),
                        java.nio.charset.StandardCharsets.UTF_8);
                assertThat(secret).as(key).hasSizeGreaterThanOrEqualTo(16);
            }
            diff(normalized(fromHelm), normalized(fromRender), key, differences);
        }
        assertThat(differences).as("helm template vs astaire k8s render").isEmpty();
    }

    /** The object as a JSON tree without what legitimately differs. */
    private static JsonNode normalized(HasMetadata o) {
        try {
            ObjectNode tree = (ObjectNode) TopologyCodec.jsonMapper().readTree(StrictManifests.SERIALIZATION.asJson(o));
            removeManagedBy(tree.path("metadata"));
            removeManagedBy(tree.path("spec").path("template").path("metadata"));
            if (o instanceof ConfigMap) {
                tree.remove("data");
            }
            return tree;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void removeManagedBy(JsonNode metadata) {
        if (metadata.path("labels") instanceof ObjectNode labels) {
            labels.remove(Names.LABEL_MANAGED_BY);
        }
    }

    private static void diff(JsonNode helm, JsonNode render, String path, List<String> out) {
        if (helm.isObject() && render.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = render.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                diff(helm.path(e.getKey()), e.getValue(), path + "." + e.getKey(), out);
            }
            helm.properties().forEach(e -> {
                if (!render.has(e.getKey())) {
                    out.add(path + "." + e.getKey() + ": only in helm: " + e.getValue());
                }
            });
        } else if (helm.isArray() && render.isArray() && helm.size() == render.size()) {
            for (int i = 0; i < render.size(); i++) {
                diff(helm.get(i), render.get(i), path + "[" + i + "]", out);
            }
        } else if (!helm.equals(render)) {
            out.add(path + ": helm " + (helm.isMissingNode() ? "(missing)" : helm) + " vs render " + render);
        }
    }

    static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
