package io.astaire.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.k8s.inject.InjectOptions;
import io.astaire.k8s.inject.SidecarRole;
import io.astaire.k8s.inject.WorkloadInjector;
import io.astaire.model.IpPrefix;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code k8s render --edges sidecar} against what {@code k8s inject} really puts on pods: the
 * workloads are injected by {@link WorkloadInjector}, and the rendered selectors are evaluated on
 * their pod labels as the API server does ({@link LabelSelectors}). No gateway edge Deployment is
 * rendered; the ingress and egress Services (the names the chain's ConfigMap gives the edges)
 * pick exactly the pods with that edge of this instance; the functions' NetworkPolicy admits them.
 */
class SidecarEdgesRenderTest {

    private static final RenderOptions SIDECAR = RenderOptions.defaults().withNamespace("sfc").withInstance("web")
            .withImage("astaire:1").withEdges(EdgeMode.SIDECAR);

    private static final String WORKLOAD = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: %1$s, namespace: sfc}
            spec:
              selector: {matchLabels: {app: %1$s}}
              template:
                metadata: {labels: {app: %1$s}}
                spec:
                  containers:
                    - {name: app, image: "example/%1$s:1"}
            """;

    /** The pod labels of workload {@code app} after {@code k8s inject --role role --instance instance}. */
    private static Map<String, String> injectedPodLabels(String app, SidecarRole role, String instance) {
        var options = new InjectOptions("web", role, List.of(IpPrefix.parse("10.20.0.0/24")), instance, null, null,
                InjectOptions.DEFAULT_PORT, Names.METRICS_PORT, null, null);
        String yaml = new WorkloadInjector(options, false).inject(WORKLOAD.formatted(app), app).yaml();
        Deployment d = (Deployment) StrictManifests.parse(yaml).getFirst();
        return d.getSpec().getTemplate().getMetadata().getLabels();
    }

    private static Map<String, HasMetadata> render(RenderOptions options) {
        return ManifestRendererTest.byKindAndName(ManifestRendererTest.renderAndReparse(Chains.web(), options));
    }

    private static boolean selects(Service s, Map<String, String> podLabels) {
        // A Service's selector is matchLabels only; an empty one would select nothing for Endpoints, never everything.
        assertThat(s.getSpec().getSelector()).as(s.getMetadata().getName() + " selector").isNotEmpty();
        return LabelSelectors.matches(new LabelSelectorBuilder().withMatchLabels(s.getSpec().getSelector()).build(), podLabels);
    }

    private static boolean admitted(NetworkPolicy policy, Map<String, String> podLabels) {
        List<NetworkPolicyPeer> nshPeers = policy.getSpec().getIngress().getFirst().getFrom();
        return nshPeers.stream().anyMatch(p -> p.getNamespaceSelector() == null && LabelSelectors.matches(p.getPodSelector(), podLabels));
    }

    @Test
    void noGatewayEdgeIsRenderedAndNoRenderedPodGetsNetAdmin() {
        var objects = render(SIDECAR);
        assertThat(objects).doesNotContainKeys("Deployment/web-ingress", "Deployment/web-egress")
                .containsKeys("Service/web-ingress", "Service/web-egress", "NetworkPolicy/web-functions",
                        "Deployment/web-acl", "Deployment/web-controller", "ConfigMap/web-chain");
        assertThat(ManifestRendererTest.astairePods(List.copyOf(objects.values())))
                .noneMatch(ManifestRendererTest::mountsTun)
                .allMatch(pod -> ManifestRendererTest.allContainers(pod).noneMatch(ManifestRendererTest::hasNetAdmin));
        // The gateway render still has both, so the difference above is the option's doing.
        assertThat(render(SIDECAR.withEdges(EdgeMode.GATEWAY))).containsKeys("Deployment/web-ingress", "Deployment/web-egress");
    }

    @Test
    void theChainsEdgeNamesAreServicesThatSelectTheInjectedPods() {
        var objects = render(SIDECAR);
        var ingress = (Service) objects.get("Service/web-ingress");
        var egress = (Service) objects.get("Service/web-egress");
        var chain = TopologyCodec.parse(((ConfigMap) objects.get("ConfigMap/web-chain")).getData().get(Names.CHAIN_FILE));
        assertThat(chain.ingress().address().host()).isEqualTo("web-ingress.sfc.svc.cluster.local");
        assertThat(chain.egress().address().host()).isEqualTo("web-egress.sfc.svc.cluster.local");
        assertThat(ingress.getSpec().getClusterIP()).isEqualTo("None"); // every sidecar pod's address, for the last hop's choice
        assertThat(egress.getSpec().getPorts().getFirst().getPort()).isEqualTo(chain.egress().address().port());

        Map<String, String> client = injectedPodLabels("shop", SidecarRole.CLIENT, "web");
        Map<String, String> server = injectedPodLabels("db", SidecarRole.SERVER, "web");
        Map<String, String> otherChainsServer = injectedPodLabels("mail", SidecarRole.SERVER, "mail");
        assertThat(selects(ingress, client)).isTrue();
        assertThat(selects(ingress, server)).isFalse();
        assertThat(selects(egress, server)).isTrue();
        assertThat(selects(egress, client)).isFalse();
        assertThat(selects(egress, otherChainsServer)).as("another instance's egress").isFalse();
        assertThat(selects(egress, Map.of("app", "db"))).as("the pod before injection").isFalse();

        // What made the hand edits necessary: the gateway Services do not select sidecar pods.
        var gateway = render(SIDECAR.withEdges(EdgeMode.GATEWAY));
        assertThat(selects((Service) gateway.get("Service/web-egress"), server)).isFalse();
    }

    @Test
    void theNetworkPolicyAdmitsThisInstancesSidecarsToTheFunctions() {
        var policy = (NetworkPolicy) render(SIDECAR).get("NetworkPolicy/web-functions");
        assertThat(policy.getSpec().getIngress().getFirst().getPorts())
                .allMatch(p -> p.getProtocol().equals("UDP")).extracting(p -> p.getPort().getIntVal()).containsExactly(4791, 4792, 4793);
        assertThat(admitted(policy, injectedPodLabels("shop", SidecarRole.CLIENT, "web"))).isTrue();
        assertThat(admitted(policy, injectedPodLabels("db", SidecarRole.SERVER, "web"))).isTrue();
        assertThat(admitted(policy, injectedPodLabels("mail", SidecarRole.SERVER, "mail"))).isFalse();
        assertThat(admitted(policy, Map.of("app", "db"))).isFalse();
        assertThat(admitted(policy, Map.of(Names.MEMBER_LABEL, "web"))).as("member label without an edge").isFalse();
        // The functions of the chain still reach each other.
        var acl = (Deployment) render(SIDECAR).get("Deployment/web-acl");
        assertThat(admitted(policy, acl.getSpec().getTemplate().getMetadata().getLabels())).isTrue();

        var gatewayPolicy = (NetworkPolicy) render(SIDECAR.withEdges(EdgeMode.GATEWAY)).get("NetworkPolicy/web-functions");
        assertThat(admitted(gatewayPolicy, injectedPodLabels("db", SidecarRole.SERVER, "web"))).isFalse();
    }

    @Test
    void anUnderlayMtuHasNoEdgeToGoToAndIsRefused() {
        assertThatThrownBy(() -> new RenderOptions("sfc", "web", "astaire:1", true, "sfc", "astaire:1", RenderOptions.DEFAULT_CLUSTER_DNS,
                true, false, null, "1Gi", "astaire0", 9000, true, EdgeMode.SIDECAR))
                .hasMessageStartingWith("--underlay-mtu: ").hasMessageContaining("--edges sidecar");
        assertThatThrownBy(() -> EdgeMode.parse("mesh")).hasMessageStartingWith("--edges: 'mesh'");
        assertThat(EdgeMode.parse("sidecar")).isEqualTo(EdgeMode.SIDECAR);
    }
}
