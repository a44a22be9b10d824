package io.astaire.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Applies the rendered manifests to fabric8's mock API server in CRUD mode (it stores what it is
 * sent and serves it back, like an API server without admission or controllers) and reads every
 * object back through the typed client: what kubectl would send is accepted, and what comes
 * back is what the chain needs.
 */
@EnableKubernetesMockClient(crud = true)
class MockApiServerTest {

    static KubernetesClient client;

    private static final String NS = "sfc";
    /** Held so that the level sticks: the mock server logs every request at INFO. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    @Test
    void everyRenderedObjectIsAcceptedAndReadsBackAsRendered() {
        List<HasMetadata> rendered = ManifestRendererTest.renderAndReparse(Chains.web(),
                RenderOptions.defaults().withNamespace(NS).withImage("astaire:1"));
        for (HasMetadata o : rendered) {
            client.resource(o).create();
        }
        for (HasMetadata o : rendered) {
            HasMetadata back = client.resource(o).get();
            assertThat(back).as(o.getKind() + "/" + o.getMetadata().getName()).isNotNull();
            assertThat(back.getMetadata().getResourceVersion()).isNotBlank();
            assertThat(back.getMetadata().getLabels()).isEqualTo(o.getMetadata().getLabels());
        }

        List<Deployment> deployments = client.apps().deployments().inNamespace(NS).list().getItems();
        assertThat(deployments).extracting(d -> d.getMetadata().getName())
                .containsExactlyInAnyOrder("astaire-acl", "astaire-count", "astaire-nat", "astaire-ingress", "astaire-egress", "astaire-controller");
        assertThat(client.apps().deployments().inNamespace(NS).withName("astaire-count").get().getSpec().getReplicas()).isEqualTo(3);
        assertThat(client.apps().deployments().inNamespace(NS).withName("astaire-nat").get().getSpec().getReplicas()).isEqualTo(2);

        // Selecting by label, as kubectl and Prometheus do: the three functions and nothing else.
        assertThat(client.apps().deployments().inNamespace(NS).withLabel(Names.LABEL_COMPONENT, "function").list().getItems())
                .extracting(d -> d.getMetadata().getName()).containsExactlyInAnyOrder("astaire-acl", "astaire-count", "astaire-nat");

        for (String fn : List.of("astaire-acl", "astaire-count", "astaire-nat", "astaire-ingress", "astaire-egress")) {
            Service s = client.services().inNamespace(NS).withName(fn).get();
            assertThat(s.getSpec().getClusterIP()).as(fn).isEqualTo("None");
            assertThat(s.getSpec().getPorts()).singleElement().satisfies(p -> assertThat(p.getProtocol()).isEqualTo("UDP"));
        }
        assertThat(client.services().inNamespace(NS).withName("astaire-controller").get().getSpec().getPorts().getFirst().getPort()).isEqualTo(8080);

        assertThat(client.network().v1().networkPolicies().inNamespace(NS).withName("astaire-functions").get().getSpec().getPolicyTypes())
                .containsExactly("Ingress");
        assertThat(client.policy().v1().podDisruptionBudget().inNamespace(NS).list().getItems())
                .extracting(p -> p.getMetadata().getName()).containsExactlyInAnyOrder("astaire-count", "astaire-nat");
        for (HasMetadata o : new ManifestRenderer(RenderOptions.defaults().withNamespace(NS)).renderDnsmasq()) {
            client.resource(o).create();
        }
        DaemonSet ds = client.apps().daemonSets().inNamespace(NS).withName("astaire-dnsmasq").get();
        assertThat(ds.getSpec().getTemplate().getSpec().getHostNetwork()).isTrue();

        ConfigMap cm = client.configMaps().inNamespace(NS).withName("astaire-chain").get();
        Topology chain = TopologyCodec.parse(cm.getData().get("chain.yaml"));
        assertThat(chain.function("acl").address().host()).isEqualTo("astaire-acl.sfc.svc.cluster.local");
        assertThat(chain.chain("web").functions()).containsExactly("acl", "count", "nat");

        Secret token = client.secrets().inNamespace(NS).withName("astaire-controller-token").get();
        assertThat(token.getData()).containsKey("token");
        PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(NS).withName("astaire-controller-data").get();
        assertThat(pvc.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("1Gi");

        ServiceAccount sa = client.serviceAccounts().inNamespace(NS).withName("astaire").get();
        assertThat(sa.getAutomountServiceAccountToken()).isFalse();
        Role role = client.rbac().roles().inNamespace(NS).withName("astaire").get();
        assertThat(role.getRules()).isEmpty();
        RoleBinding binding = client.rbac().roleBindings().inNamespace(NS).withName("astaire").get();
        assertThat(binding.getSubjects().getFirst().getName()).isEqualTo("astaire");
    }

    @Test
    void aFunctionScalesThroughTheDeploymentsScaleSubresource() {
        String ns = "scale";
        for (HasMetadata o : ManifestRendererTest.renderAndReparse(Chains.web(), RenderOptions.defaults().withNamespace(ns))) {
            client.resource(o).create();
        }
        client.apps().deployments().inNamespace(ns).withName("astaire-acl").scale(4);
        assertThat(client.apps().deployments().inNamespace(ns).withName("astaire-acl").get().getSpec().getReplicas()).isEqualTo(4);
    }
}
