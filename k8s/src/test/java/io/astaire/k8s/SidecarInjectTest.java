package io.astaire.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.astaire.k8s.inject.ChainRoutes;
import io.astaire.k8s.inject.InjectException;
import io.astaire.k8s.inject.InjectOptions;
import io.astaire.k8s.inject.SidecarRole;
import io.astaire.k8s.inject.WorkloadInjector;
import io.astaire.model.IpPrefix;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code astaire k8s inject}: exactly what it adds to a Deployment, a StatefulSet, a bare Pod, a
 * Job and a CronJob (and nothing else: the objects minus the additions are the inputs), documents
 * it does not change copied byte for byte, idempotence, the routes read from the chain, and an
 * error naming the object for what it cannot inject.
 */
class SidecarInjectTest {
    private static final YAMLMapper YAML = new YAMLMapper();

    static final String CHAIN = """
            functions:
              - {name: acl, kind: acl, address: "127.0.0.1:4791"}
            chains:
              - {name: web, functions: [acl]}
              - {name: oneway, symmetric: false, functions: [acl]}
            rules:
              - {name: to-servers, protocol: tcp, source: 10.244.0.0/16, destination: 10.20.0.0/24, chain: web}
              - {name: ping, protocol: icmp, destination: 10.20.0.0/24, chain: web}
              - {name: to-db, protocol: tcp, destination: 10.30.0.7, chain: web}
              - {name: logs, protocol: udp, destination: 10.40.0.0/16, chain: oneway}
            ingress: {address: "127.0.0.1:4790"}
            egress: {address: "127.0.0.1:4794"}
            """;

    static final String WORKLOADS = """
            # the client side of the web shop
            apiVersion: v1
            kind: Service
            metadata:
              name: shop   # a comment that must survive
            spec:
              selector: {app: shop}
              ports: [{port: 80, targetPort: 8080}]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: shop
              labels: {app: shop}
              annotations: {team: "payments", replicas-note: "0123"}
            spec:
              replicas: 3
              selector: {matchLabels: {app: shop}}
              template:
                metadata:
                  labels: {app: shop}
                spec:
                  securityContext: {runAsNonRoot: true}
                  initContainers:
                    - {name: migrate, image: "shop:1", args: ["migrate"]}
                  containers:
                    - name: shop
                      image: "shop:1"
                      env: [{name: FLAG, value: "true"}, {name: COUNT, value: "10"}]
                      ports: [{containerPort: 8080}]
                  volumes:
                    - {name: cache, emptyDir: {}}
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: worker}
            spec:
              serviceName: worker
              selector: {matchLabels: {app: worker}}
              template:
                metadata: {labels: {app: worker}}
                spec:
                  containers: [{name: worker, image: "worker:2"}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: debug}
            spec:
              containers: [{name: sh, image: busybox, command: [sleep, infinity]}]
            ---
            apiVersion: batch/v1
            kind: Job
            metadata: {name: report}
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: report, image: "report:1"}]
            ---
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: nightly}
            spec:
              schedule: "0 3 * * *"
              jobTemplate:
                spec:
                  template:
                    spec:
                      restartPolicy: OnFailure
                      containers: [{name: nightly, image: "report:1"}]
            """;

    private static Topology chain() {
        return TopologyCodec.parse(CHAIN);
    }

    private static WorkloadInjector client() {
        List<IpPrefix> routes = ChainRoutes.of(chain(), "web", SidecarRole.CLIENT);
        return new WorkloadInjector(InjectOptions.defaults("web", SidecarRole.CLIENT, routes), false);
    }

    @Test
    void routesComeFromTheChainsRules() {
        assertThat(ChainRoutes.of(chain(), "web", SidecarRole.CLIENT)).extracting(IpPrefix::toString)
                .containsExactly("10.20.0.0/24", "10.30.0.7/32");
        assertThat(ChainRoutes.of(chain(), "web", SidecarRole.SERVER)).extracting(IpPrefix::toString).containsExactly("10.244.0.0/16");
        // A one-way chain's replies do not come back through the egress: nothing to route.
        assertThat(ChainRoutes.of(chain(), "oneway", SidecarRole.SERVER)).isEmpty();
        assertThatThrownBy(() -> ChainRoutes.of(chain(), "shop", SidecarRole.CLIENT)).isInstanceOf(InjectException.class)
                .hasMessageContaining("--chain shop").hasMessageContaining("it has: web, oneway");
        Topology noSources = TopologyCodec.parse(CHAIN.replace("source: 10.244.0.0/16, ", ""));
        assertThatThrownBy(() -> ChainRoutes.of(noSources, "web", SidecarRole.SERVER))
                .hasMessageContaining("no rule of the chain names a source prefix").hasMessageContaining("--route");
    }

    @Test
    void addsExactlyTheSidecarItsVolumesAndTheMarksToEveryPodAndNothingElse() throws Exception {
        WorkloadInjector.Result r = client().inject(WORKLOADS, "workloads.yaml");
        assertThat(r.injected()).isEqualTo(5);
        assertThat(r.outcomes()).extracting(Object::toString).contains("Service/shop: unchanged (no pod)",
                "Deployment/shop: injected the ingress of chain web, routes [10.20.0.0/24, 10.30.0.7/32]");

        List<HasMetadata> objects = StrictManifests.parse(r.yaml()); // the Kubernetes model knows every field
        assertThat(objects).hasSize(6);
        Deployment shop = (Deployment) objects.get(1);
        PodTemplateSpec template = shop.getSpec().getTemplate();
        assertThat(template.getMetadata().getAnnotations()).containsEntry("astaire.io/sidecar", "ingress").containsEntry("astaire.io/chain", "web");
        assertThat(template.getMetadata().getLabels()).containsEntry("app", "shop").containsEntry("astaire.io/member-of", "astaire")
                .containsEntry("astaire.io/edge", "ingress");
        PodSpec spec = template.getSpec();
        assertThat(spec.getInitContainers()).extracting(Container::getName).containsExactly("astaire-ingress", "migrate");
        Container sidecar = spec.getInitContainers().get(0);
        assertThat(sidecar.getRestartPolicy()).isEqualTo("Always"); // a native sidecar: before the app, and Jobs still finish
        assertThat(sidecar.getImage()).isEqualTo(RenderOptions.DEFAULT_IMAGE);
        assertThat(sidecar.getArgs()).containsExactly("ingress", "--topology", "/etc/astaire/chain.yaml", "--tun", "astaire0",
                "--listen", "0.0.0.0:4790", "--route", "10.20.0.0/24", "--route", "10.30.0.7/32", "--metrics-listen", "0.0.0.0:9090");
        // TUN access and nothing more: NET_ADMIN only, everything else dropped, no escalation.
        assertThat(sidecar.getSecurityContext().getCapabilities().getAdd()).containsExactly("NET_ADMIN");
        assertThat(sidecar.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(sidecar.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(sidecar.getSecurityContext().getPrivileged()).isNull();
        assertThat(sidecar.getStartupProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(sidecar.getVolumeMounts()).extracting(v -> v.getName() + ":" + v.getMountPath())
                .containsExactly("astaire-tun:/dev/net/tun", "astaire-chain:/etc/astaire");
        assertThat(spec.getVolumes()).extracting(Volume::getName).containsExactly("cache", "astaire-tun", "astaire-chain");
        assertThat(spec.getVolumes().get(1).getHostPath().getPath()).isEqualTo("/dev/net/tun");
        assertThat(spec.getVolumes().get(1).getHostPath().getType()).isEqualTo("CharDevice");
        assertThat(spec.getVolumes().get(2).getConfigMap().getName()).isEqualTo(Names.CHAIN_CONFIG);
        assertThat(spec.getHostNetwork()).isNull();

        PodSpec worker = ((StatefulSet) objects.get(2)).getSpec().getTemplate().getSpec();
        PodSpec debug = ((Pod) objects.get(3)).getSpec();
        PodSpec job = ((Job) objects.get(4)).getSpec().getTemplate().getSpec();
        PodSpec cron = ((CronJob) objects.get(5)).getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
        for (PodSpec s : List.of(worker, debug, job, cron)) {
            assertThat(s.getInitContainers()).extracting(Container::getName).containsExactly("astaire-ingress");
            assertThat(s.getInitContainers().get(0)).isEqualTo(sidecar);
            assertThat(s.getVolumes()).extracting(Volume::getName).containsExactly("astaire-tun", "astaire-chain");
        }
        assertThat(((Pod) objects.get(3)).getMetadata().getAnnotations()).containsEntry("astaire.io/sidecar", "ingress");

        // Take the additions out again: what is left is the input, value for value.
        List<JsonNode> before = documents(WORKLOADS);
        List<JsonNode> after = documents(r.yaml());
        for (int i = 0; i < before.size(); i++) {
            assertThat(withoutSidecar(after.get(i))).as("document %d", i + 1).isEqualTo(before.get(i));
        }
        // Strings that look like other types stay strings.
        assertThat(after.get(1).at("/metadata/annotations/replicas-note").isTextual()).isTrue();
        assertThat(after.get(1).at("/spec/template/spec/containers/0/env/0/value").asText()).isEqualTo("true");
        assertThat(after.get(1).at("/spec/template/spec/containers/0/env/0/value").isTextual()).isTrue();
    }

    @Test
    void documentsWithoutPodsAreCopiedByteForByteAndInjectingTwiceIsInjectingOnce() {
        WorkloadInjector injector = client();
        String once = injector.inject(WORKLOADS, "w").yaml();
        assertThat(once).startsWith(WORKLOADS.substring(0, WORKLOADS.indexOf("---")));
        assertThat(once).contains("name: shop   # a comment that must survive");
        WorkloadInjector.Result twice = injector.inject(once, "w");
        assertThat(twice.yaml()).isEqualTo(once);
        assertThat(twice.injected()).isZero();
        assertThat(twice.outcomes()).extracting(Object::toString).contains("Deployment/shop: unchanged (has the ingress sidecar of chain web already)");
    }

    @Test
    void theServerSideGetsTheEgressWithTheReplyRoutesAndAControllerSourceOnRequest() {
        List<IpPrefix> routes = ChainRoutes.of(chain(), "web", SidecarRole.SERVER);
        InjectOptions o = new InjectOptions("web", SidecarRole.SERVER, routes, "shop", "registry/astaire:1", "sc0", 4799, 9499,
                null, java.net.URI.create("http://astaire-controller.astaire:8080"));
        String pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: db}\nspec:\n  containers: [{name: db, image: postgres}]\n";
        Pod injected = (Pod) StrictManifests.parse(new WorkloadInjector(o, false).inject(pod, "db.yaml").yaml()).get(0);
        Container sidecar = injected.getSpec().getInitContainers().get(0);
        assertThat(sidecar.getName()).isEqualTo("astaire-egress");
        assertThat(sidecar.getArgs()).containsExactly("egress", "--controller", "http://astaire-controller.astaire:8080", "--tun", "sc0",
                "--listen", "0.0.0.0:4799", "--route", "10.244.0.0/16", "--metrics-listen", "0.0.0.0:9499");
        assertThat(sidecar.getEnv()).extracting(e -> e.getName() + "<-" + e.getValueFrom().getSecretKeyRef().getName())
                .containsExactly(io.astaire.model.ControllerProtocol.NODE_TOKEN_ENV + "<-" + Names.NODE_TOKEN);
        assertThat(injected.getSpec().getVolumes()).extracting(Volume::getName).containsExactly("astaire-tun");
        assertThat(injected.getMetadata().getLabels()).containsEntry("astaire.io/member-of", "shop").containsEntry("astaire.io/edge", "egress");
    }

    @Test
    void refusesWhatItCannotInjectNamingTheObjectAndWhy() {
        WorkloadInjector injector = client();
        String hostNet = "apiVersion: v1\nkind: Pod\nmetadata: {name: node-agent}\nspec:\n  hostNetwork: true\n  containers: [{name: a, image: a}]\n";
        assertThatThrownBy(() -> injector.inject(hostNet, "agent.yaml")).isInstanceOf(InjectException.class)
                .hasMessageContaining("agent.yaml, document 1 (Pod/node-agent): uses hostNetwork");
        String rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec: {}\n";
        assertThatThrownBy(() -> injector.inject("---\n" + rollout, "r.yaml")).hasMessageContaining("document 2 (Rollout/r): cannot inject into kind Rollout")
                .hasMessageContaining("--skip-unknown");
        assertThat(new WorkloadInjector(InjectOptions.defaults("web", SidecarRole.CLIENT, List.of()), true).inject(rollout, "r").yaml())
                .isEqualTo(rollout);
        String metricsClash = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: a, ports: [{containerPort: 9090}]}]\n";
        assertThatThrownBy(() -> injector.inject(metricsClash, "p")).hasMessageContaining("container app uses TCP port 9090")
                .hasMessageContaining("--metrics-port");
        String other = injectorFor(SidecarRole.SERVER).inject("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: a}]\n", "p").yaml();
        assertThatThrownBy(() -> injector.inject(other, "p")).hasMessageContaining("is injected already (astaire.io/sidecar: egress");
        assertThatThrownBy(() -> injector.inject("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1}\n", "d"))
                .hasMessageContaining("(Deployment/d): has no spec.template to inject into");
        assertThatThrownBy(() -> injector.inject("kind: [", "bad.yaml")).hasMessageContaining("bad.yaml, document 1: not valid YAML");
        assertThatThrownBy(() -> injector.inject("- a\n- b\n", "l")).hasMessageContaining("not a Kubernetes object (a array)");
    }

    @Test
    void injectsIntoTheItemsOfAList() {
        String list = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a}\n    spec:\n      containers: [{name: a, image: a}]\n"
                + "  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c}\n    data: {k: v}\n";
        WorkloadInjector.Result r = client().inject(list, "list.yaml");
        assertThat(r.injected()).isEqualTo(1);
        List<HasMetadata> items = ((io.fabric8.kubernetes.api.model.KubernetesList) StrictManifests.SERIALIZATION.unmarshal(r.yaml())).getItems();
        assertThat(((Pod) items.get(0)).getSpec().getInitContainers()).extracting(Container::getName).containsExactly("astaire-ingress");
        assertThat(((io.fabric8.kubernetes.api.model.ConfigMap) items.get(1)).getData()).containsEntry("k", "v");
    }

    private static WorkloadInjector injectorFor(SidecarRole role) {
        return new WorkloadInjector(InjectOptions.defaults("web", role, List.of(IpPrefix.parse("10.9.0.0/16"))), false);
    }

    private static List<JsonNode> documents(String yaml) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            JsonNode n = YAML.readTree(doc);
            if (n != null && !n.isMissingNode()) {
                out.add(n);
            }
        }
        return out;
    }

    /** The object with everything the injector adds taken out (and containers left empty removed). */
    private static JsonNode withoutSidecar(JsonNode object) {
        ObjectNode copy = object.deepCopy();
        for (String pointer : List.of("/spec/template", "", "/spec/jobTemplate/spec/template")) {
            JsonNode pod = copy.at(pointer);
            if (!(pod instanceof ObjectNode p) || !p.has("spec") || !p.get("spec").has("containers")) {
                continue;
            }
            ObjectNode meta = (ObjectNode) p.get("metadata");
            strip(meta, "annotations", "astaire.io/sidecar", "astaire.io/chain");
            strip(meta, "labels", "astaire.io/member-of", "astaire.io/edge");
            if (meta.isEmpty()) {
                p.remove("metadata");
            }
            ObjectNode spec = (ObjectNode) p.get("spec");
            removeNamed(spec, "initContainers", "astaire-ingress");
            removeNamed(spec, "volumes", "astaire-tun");
            removeNamed(spec, "volumes", "astaire-chain");
        }
        return copy;
    }

    private static void strip(ObjectNode meta, String field, String... keys) {
        if (meta.get(field) instanceof ObjectNode m) {
            m.remove(List.of(keys));
            if (m.isEmpty()) {
                meta.remove(field);
            }
        }
    }

    private static void removeNamed(ObjectNode spec, String field, String name) {
        if (spec.get(field) instanceof ArrayNode a) {
            for (int i = a.size() - 1; i >= 0; i--) {
                if (a.get(i).path("name").asText().equals(name)) {
                    a.remove(i);
                }
            }
            if (a.isEmpty()) {
                spec.remove(field);
            }
        }
    }
}
