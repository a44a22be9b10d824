package io.astaire.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Several chain instances in one cluster: rendered together they share no object (kind,
 * namespace, name), and every selector (a Deployment's, a Service's, a PodDisruptionBudget's, a
 * NetworkPolicy's) picks the pods of its own instance only. The dnsmasq cache is rendered once,
 * apart.
 */
class ManyChainsTest {

    private static final RenderOptions BASE = RenderOptions.defaults().withImage("astaire:1");

    static List<HasMetadata> render(String namespace, String instance) {
        return ManifestRendererTest.renderAndReparse(Chains.web(), BASE.withNamespace(namespace).withInstance(instance));
    }

    private static String key(HasMetadata o) {
        return o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

    private static void assertNoDuplicateObject(List<HasMetadata> all) {
        Set<String> seen = new HashSet<>();
        List<String> duplicates = new ArrayList<>();
        for (HasMetadata o : all) {
            if (!seen.add(key(o))) {
                duplicates.add(key(o));
            }
        }
        assertThat(duplicates).as("objects rendered twice").isEmpty();
    }

    /** The labels of every pod template, by owner. */
    private static Map<String, Map<String, String>> podLabels(List<HasMetadata> all) {
        Map<String, Map<String, String>> pods = new HashMap<>();
        for (HasMetadata o : all) {
            if (o instanceof Deployment d) {
                PodTemplateSpec t = d.getSpec().getTemplate();
                pods.put(key(o), t.getMetadata().getLabels());
            }
        }
        return pods;
    }

    /** Every selector in {@code all}, with the owner's namespace and instance. */
    private record Selection(String owner, String namespace, String instance, LabelSelector selector) {}

    private static List<Selection> selectors(List<HasMetadata> all) {
        List<Selection> out = new ArrayList<>();
        for (HasMetadata o : all) {
            String ns = o.getMetadata().getNamespace();
            String instance = o.getMetadata().getLabels().get(Names.LABEL_INSTANCE);
            switch (o) {
                case Deployment d -> out.add(new Selection(key(o), ns, instance, d.getSpec().getSelector()));
                case Service s -> out.add(new Selection(key(o), ns, instance, new LabelSelector(List.of(), s.getSpec().getSelector())));
                case PodDisruptionBudget p -> out.add(new Selection(key(o), ns, instance, p.getSpec().getSelector()));
                case NetworkPolicy n -> {
                    out.add(new Selection(key(o), ns, instance, n.getSpec().getPodSelector()));
                    n.getSpec().getIngress().forEach(rule -> rule.getFrom().forEach(peer ->
                            out.add(new Selection(key(o) + " from", ns, instance, peer.getPodSelector()))));
                }
                default -> { }
            }
        }
        return out;
    }

    private static void assertSelectorsStayInTheirInstance(List<HasMetadata> all) {
        Map<String, Map<String, String>> pods = podLabels(all);
        List<Selection> selections = selectors(all);
        assertThat(selections).hasSizeGreaterThan(20);
        for (Selection s : selections) {
            List<String> picked = pods.entrySet().stream()
                    .filter(p -> p.getKey().split("/")[1].equals(s.namespace()) && LabelSelectors.matches(s.selector(), p.getValue()))
                    .map(Map.Entry::getKey).toList();
            assertThat(picked).as(s.owner() + " selects some pod").isNotEmpty();
            assertThat(picked).as(s.owner() + " selects only its instance's pods")
                    .allSatisfy(p -> assertThat(pods.get(p).get(Names.LABEL_INSTANCE)).isEqualTo(s.instance()));
        }
    }

    @Test
    void twoChainsInOneNamespaceShareNoObjectAndNoSelector() {
        List<HasMetadata> all = new ArrayList<>(render("sfc", "web"));
        all.addAll(render("sfc", "mail"));
        assertNoDuplicateObject(all);
        assertSelectorsStayInTheirInstance(all);
        assertThat(all).extracting(o -> o.getMetadata().getName()).contains("web-acl", "mail-acl", "web-ingress", "mail-controller");
    }

    @Test
    void twoChainsInTwoNamespacesAndTheSharedCacheShareNoObject() {
        List<HasMetadata> all = new ArrayList<>(render("team-a", "web"));
        all.addAll(render("team-b", "web"));
        all.addAll(render("team-b", "astaire"));
        all.addAll(new ManifestRenderer(BASE.withNamespace("kube-system")).renderDnsmasq());
        assertNoDuplicateObject(all);
        assertSelectorsStayInTheirInstance(all.stream().filter(o -> !o.getKind().equals("DaemonSet")).toList());
    }

    @Test
    void eachChainsHopsAreItsOwnServices() {
        var web = ManifestRendererTest.byKindAndName(render("sfc", "web"));
        var cm = (io.fabric8.kubernetes.api.model.ConfigMap) web.get("ConfigMap/web-chain");
        var chain = io.astaire.model.TopologyCodec.parse(cm.getData().get("chain.yaml"));
        assertThat(chain.function("acl").address().host()).isEqualTo("web-acl.sfc.svc.cluster.local");
        assertThat(chain.egress().address().host()).isEqualTo("web-egress.sfc.svc.cluster.local");
        Deployment acl = (Deployment) web.get("Deployment/web-acl");
        assertThat(acl.getSpec().getTemplate().getSpec().getVolumes())
                .anySatisfy(v -> assertThat(v.getConfigMap() != null && v.getConfigMap().getName().equals("web-chain")).isTrue());
        assertThat(acl.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("web");
        // The node still runs function "acl" of the chain: names in chain.yaml are not prefixed.
        assertThat(acl.getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs()).containsSequence("--function", "acl");
    }
}
