package io.astaire.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.model.FunctionSpec;
import io.astaire.model.HopAddress;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestRendererTest {

    private static final RenderOptions OPTIONS = RenderOptions.defaults().withNamespace("sfc").withImage("registry.example/astaire:1.2");

    /** Renders, writes as YAML and reads back strictly: what the tests check is what kubectl would get. */
    static List<HasMetadata> renderAndReparse(Topology chain, RenderOptions options) {
        String yaml = ManifestWriter.toYamlStream(new ManifestRenderer(options).render(chain));
        return StrictManifests.parse(yaml);
    }

    static Map<String, HasMetadata> byKindAndName(List<HasMetadata> objects) {
        return objects.stream().collect(Collectors.toMap(o -> o.getKind() + "/" + o.getMetadata().getName(), o -> o,
                (a, b) -> { throw new AssertionError("duplicate " + a.getKind() + "/" + a.getMetadata().getName()); },
                java.util.LinkedHashMap::new));
    }

    static Stream<PodSpec> astairePods(List<HasMetadata> objects) {
        return objects.stream().filter(Deployment.class::isInstance).map(d -> ((Deployment) d).getSpec().getTemplate().getSpec());
    }

    static Stream<Container> allContainers(PodSpec pod) {
        return Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream());
    }

    static boolean hasNetAdmin(Container c) {
        return c.getSecurityContext() != null && c.getSecurityContext().getCapabilities() != null
                && c.getSecurityContext().getCapabilities().getAdd().contains("NET_ADMIN");
    }

    static boolean mountsTun(PodSpec pod) {
        return pod.getVolumes().stream().anyMatch(v -> v.getHostPath() != null && v.getHostPath().getPath().equals("/dev/net/tun"));
    }

    @Test
    void rendersEveryObjectOfTheChain() {
        var objects = byKindAndName(renderAndReparse(Chains.web(), OPTIONS));
        assertThat(objects.keySet()).containsExactlyInAnyOrder(
                "ServiceAccount/astaire", "Role/astaire", "RoleBinding/astaire", "ConfigMap/astaire-chain",
                "Secret/astaire-controller-token", "Secret/astaire-node-token", "PersistentVolumeClaim/astaire-controller-data",
                "Service/astaire-controller", "Deployment/astaire-controller",
                "Service/astaire-acl", "Deployment/astaire-acl", "Service/astaire-count", "Deployment/astaire-count",
                "PodDisruptionBudget/astaire-count", "Service/astaire-nat", "Deployment/astaire-nat", "PodDisruptionBudget/astaire-nat",
                "NetworkPolicy/astaire-functions",
                "Service/astaire-ingress", "Deployment/astaire-ingress", "Service/astaire-egress", "Deployment/astaire-egress");
        objects.values().forEach(o -> {
            assertThat(o.getMetadata().getNamespace()).as(o.getKind()).isEqualTo("sfc");
            assertThat(o.getMetadata().getLabels()).as(o.getKind() + "/" + o.getMetadata().getName())
                    .containsKeys(Names.LABEL_NAME, Names.LABEL_INSTANCE, Names.LABEL_COMPONENT, Names.LABEL_PART_OF, Names.LABEL_MANAGED_BY)
                    .containsEntry(Names.LABEL_NAME, o.getMetadata().getName());
        });
    }

    @Test
    void functionsRunAsDeploymentsWithTheirReplicasBehindHeadlessUdpServices() {
        var objects = byKindAndName(renderAndReparse(Chains.web(), OPTIONS));
        for (FunctionSpec f : Chains.web().functions()) {
            Deployment d = (Deployment) objects.get("Deployment/astaire-" + f.name());
            assertThat(d.getSpec().getReplicas()).isEqualTo(f.replicas());
            assertThat(d.getSpec().getSelector().getMatchLabels()).isEqualTo(d.getSpec().getTemplate().getMetadata().getLabels().entrySet().stream()
                    .filter(e -> e.getKey().equals(Names.LABEL_NAME) || e.getKey().equals(Names.LABEL_INSTANCE))
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
            Container c = d.getSpec().getTemplate().getSpec().getContainers().getFirst();
            assertThat(c.getImage()).isEqualTo("registry.example/astaire:1.2");
            assertThat(c.getArgs()).containsSequence("sf", "--function", f.name())
                    .containsSequence("--topology", "/etc/astaire/chain.yaml")
                    .containsSequence("--listen", "0.0.0.0:" + f.address().port());
            assertThat(c.getPorts()).anySatisfy(p -> {
                assertThat(p.getProtocol()).isEqualTo("UDP");
                assertThat(p.getContainerPort()).isEqualTo(f.address().port());
            });
            assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
            assertThat(c.getResources().getLimits()).containsKeys("cpu", "memory");
            assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
                    .containsEntry("prometheus.io/scrape", "true").containsEntry("prometheus.io/port", "9090");

            Service s = (Service) objects.get("Service/astaire-" + f.name());
            assertThat(s.getSpec().getClusterIP()).isEqualTo("None");
            assertThat(s.getSpec().getSelector()).isEqualTo(d.getSpec().getSelector().getMatchLabels());
            assertThat(s.getSpec().getPorts()).singleElement().satisfies(p -> {
                assertThat(p.getProtocol()).isEqualTo("UDP");
                assertThat(p.getPort()).isEqualTo(f.address().port());
                assertThat(p.getTargetPort().getIntVal()).isEqualTo(f.address().port());
            });
        }
    }

    @Test
    void probesOfEveryNodeUseTheMetricsPort() {
        var objects = renderAndReparse(Chains.web(), OPTIONS);
        List<Deployment> nodes = objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .filter(d -> !d.getMetadata().getName().equals(Names.CONTROLLER)).toList();
        assertThat(nodes).hasSize(5);
        for (Deployment d : nodes) {
            Container c = d.getSpec().getTemplate().getSpec().getContainers().getFirst();
            assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
            assertThat(c.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(9090);
            assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
            assertThat(c.getLivenessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(9090);
            assertThat(c.getArgs()).containsSequence("--metrics-listen", "0.0.0.0:9090");
        }
    }

    @Test
    void onlyTheIngressAndEgressGetNetAdminAndTheTunDevice() {
        var objects = renderAndReparse(Chains.web(), OPTIONS);
        for (HasMetadata o : objects) {
            if (!(o instanceof Deployment d)) {
                continue;
            }
            String name = d.getMetadata().getName();
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            boolean edge = name.equals(Names.INGRESS) || name.equals(Names.EGRESS);
            assertThat(mountsTun(pod)).as(name + " mounts /dev/net/tun").isEqualTo(edge);
            assertThat(allContainers(pod).anyMatch(ManifestRendererTest::hasNetAdmin)).as(name + " has NET_ADMIN").isEqualTo(edge);
            if (edge) {
                assertThat(pod.getVolumes()).filteredOn(v -> v.getHostPath() != null).singleElement().satisfies(v -> {
                    assertThat(v.getHostPath().getPath()).isEqualTo("/dev/net/tun");
                    assertThat(v.getHostPath().getType()).isEqualTo("CharDevice");
                });
                Container c = pod.getContainers().getFirst();
                assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/dev/net/tun"));
                assertThat(c.getArgs()).contains(name.equals(Names.INGRESS) ? "ingress" : "egress")
                        .containsSequence("--tun", "astaire0").doesNotContain("--underlay-mtu");
                assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
            }
        }
        // The dnsmasq cache binds port 53 and drops to an unprivileged user: no NET_ADMIN, no TUN.
        DaemonSet dnsmasq = (DaemonSet) new ManifestRenderer(OPTIONS).renderDnsmasq().getFirst();
        assertThat(dnsmasq.getSpec().getTemplate().getSpec().getContainers()).noneMatch(ManifestRendererTest::hasNetAdmin);
        assertThat(mountsTun(dnsmasq.getSpec().getTemplate().getSpec())).isFalse();
    }

    @Test
    void everyAstairePodGetsDnsIpFromTheNodeWithoutAnInitContainerAndTheCacheIsSeparate() {
        var objects = renderAndReparse(Chains.web(), OPTIONS);
        assertThat(objects).noneMatch(DaemonSet.class::isInstance);
        assertThat(astairePods(objects)).hasSize(6).allSatisfy(pod -> {
            assertThat(pod.getInitContainers()).isEmpty();
            assertThat(allContainers(pod)).allSatisfy(c -> assertThat(c.getEnv()).anySatisfy(ManifestRendererTest::isDnsIpFromHostIp));
        });
        List<HasMetadata> cache = StrictManifests.parse(ManifestWriter.toYamlStream(new ManifestRenderer(OPTIONS).renderDnsmasq()));
        DaemonSet ds = (DaemonSet) cache.getFirst();
        assertThat(cache).hasSize(1);
        assertThat(ds.getApiVersion()).isEqualTo("apps/v1");
        assertThat(ds.getMetadata().getName()).isEqualTo("astaire-dnsmasq");
        PodSpec pod = ds.getSpec().getTemplate().getSpec();
        assertThat(pod.getHostNetwork()).isTrue();
        Container c = pod.getContainers().getFirst();
        assertThat(c.getImage()).as("Debian's dnsmasq in Astaire's image").isEqualTo("registry.example/astaire:1.2");
        assertThat(c.getCommand()).containsExactly("/usr/sbin/dnsmasq");
        assertThat(c.getArgs()).contains("--server=/cluster.local/10.96.0.10", "--listen-address=$(HOST_IP)", "--bind-interfaces", "--user=astaire");
        assertThat(c.getPorts()).extracting(p -> p.getProtocol() + ":" + p.getHostPort()).containsExactlyInAnyOrder("UDP:53", "TCP:53");
        assertThat(c.getReadinessProbe().getTcpSocket().getPort().getIntVal()).isEqualTo(53);
        assertThat(c.getLivenessProbe().getTcpSocket().getPort().getIntVal()).isEqualTo(53);
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getSecurityContext().getCapabilities().getAdd()).containsExactlyInAnyOrder("NET_BIND_SERVICE", "SETUID", "SETGID");
    }

    static void isDnsIpFromHostIp(EnvVar e) {
        assertThat(e.getName()).isEqualTo("DNS_IP");
        assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.hostIP");
    }

    @Test
    void clusterDnsAndDnsmasqNamespaceAreConfigurable() {
        var options = new RenderOptions("sfc", "astaire", "astaire:1", true, "kube-system", "dnsmasq:2", "10.43.0.10",
                true, false, null, "1Gi", "astaire0", 1500);
        var objects = byKindAndName(renderAndReparse(Chains.web(), options));
        DaemonSet ds = (DaemonSet) new ManifestRenderer(options).renderDnsmasq().getFirst();
        assertThat(ds.getMetadata().getNamespace()).isEqualTo("kube-system");
        assertThat(((Deployment) objects.get("Deployment/astaire-egress")).getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs())
                .containsSequence("--underlay-mtu", "1500");
        assertThat(ds.getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs()).contains("--server=/cluster.local/10.43.0.10");
    }

    @Test
    void withoutDnsmasqThereIsNoDaemonSetNoDnsIpAndNoBootstrap() {
        var objects = renderAndReparse(Chains.web(), OPTIONS.withDnsmasq(false));
        assertThat(objects).noneMatch(DaemonSet.class::isInstance);
        assertThat(astairePods(objects)).hasSize(6).allSatisfy(pod -> {
            assertThat(pod.getInitContainers()).isEmpty();
            assertThat(allContainers(pod)).allSatisfy(c -> assertThat(c.getEnv()).noneMatch(e -> e.getName().equals("DNS_IP")));
        });
    }

    @Test
    void theConfigMapHoldsTheChainWithEveryHopAddressedByItsService() {
        var objects = byKindAndName(renderAndReparse(Chains.web(), OPTIONS));
        ConfigMap cm = (ConfigMap) objects.get("ConfigMap/astaire-chain");
        Topology inCluster = TopologyCodec.parse(cm.getData().get("chain.yaml"));
        Topology original = Chains.web();
        assertThat(inCluster.chains()).isEqualTo(original.chains());
        assertThat(inCluster.rules()).isEqualTo(original.rules());
        for (FunctionSpec f : original.functions()) {
            FunctionSpec g = inCluster.function(f.name());
            assertThat(g.address()).isEqualTo(new HopAddress("astaire-" + f.name() + ".sfc.svc.cluster.local", f.address().port()));
            assertThat(g.kind()).isEqualTo(f.kind());
            assertThat(g.config()).isEqualTo(f.config());
            assertThat(g.replicas()).isEqualTo(f.replicas());
        }
        assertThat(inCluster.ingress().address()).isEqualTo(new HopAddress("astaire-ingress.sfc.svc.cluster.local", 4790));
        assertThat(inCluster.egress().address()).isEqualTo(new HopAddress("astaire-egress.sfc.svc.cluster.local", 4794));
        // Every node mounts the ConfigMap's directory (no subPath, so edits reach running pods).
        astairePods(renderAndReparse(Chains.web(), OPTIONS)).filter(p -> p.getVolumes().stream().anyMatch(v -> v.getConfigMap() != null))
                .forEach(p -> assertThat(p.getContainers().getFirst().getVolumeMounts())
                        .anySatisfy(m -> {
                            assertThat(m.getMountPath()).isEqualTo("/etc/astaire");
                            assertThat(m.getSubPath()).isNull();
                        }));
    }

    @Test
    void theControllerKeepsItsDatabaseOnAVolumeAndItsTokenInASecret() {
        var objects = byKindAndName(renderAndReparse(Chains.web(), OPTIONS));
        Deployment d = (Deployment) objects.get("Deployment/astaire-controller");
        assertThat(d.getSpec().getReplicas()).isEqualTo(1);
        assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("astaire-controller-data"));
        Container c = pod.getContainers().getFirst();
        assertThat(c.getArgs()).containsSequence("controller", "--db", "/var/lib/astaire/astaire.db");
        assertThat(c.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("ASTAIRE_TOKEN");
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("astaire-controller-token");
            assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
        });
        Service s = (Service) objects.get("Service/astaire-controller");
        assertThat(s.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getPort()).isEqualTo(8080);
            assertThat(p.getProtocol()).isEqualTo("TCP");
        });
        assertThat(objects.get("PersistentVolumeClaim/astaire-controller-data")).isNotNull();
    }

    static String token(List<HasMetadata> objects) {
        Secret s = (Secret) byKindAndName(objects).get("Secret/astaire-controller-token");
        return new String(Base64.getDecoder().decode(s.getData().get("token")), StandardCharsets.UTF_8);
    }

    @Test
    void theTokenIsRandomUnlessGiven() {
        String a = token(renderAndReparse(Chains.web(), OPTIONS));
        String b = token(renderAndReparse(Chains.web(), OPTIONS));
        assertThat(a).hasSize(64).matches("[0-9a-f]+").isNotEqualTo(b);
        assertThat(token(renderAndReparse(Chains.web(), OPTIONS.withControllerToken("operator-chosen-token-1")))).isEqualTo("operator-chosen-token-1");
        assertThatThrownBy(() -> OPTIONS.withControllerToken("short")).hasMessageContaining("--controller-token");
    }

    @Test
    void withoutTheControllerItsObjectsAreLeftOut() {
        var objects = renderAndReparse(Chains.web(), OPTIONS.withController(false));
        assertThat(objects).noneMatch(o -> o.getMetadata().getName().startsWith("astaire-controller"));
        assertThat(objects).noneMatch(Secret.class::isInstance);
    }

    @Test
    void nodesCanReadTheirTopologyFromTheController() {
        var options = new RenderOptions("sfc", "astaire", "astaire:1", false, "sfc", "dnsmasq:2", "10.96.0.10",
                true, true, null, "1Gi", "astaire0", 1450);
        Deployment acl = (Deployment) byKindAndName(renderAndReparse(Chains.web(), options)).get("Deployment/astaire-acl");
        Container c = acl.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(c.getArgs()).containsSequence("--controller", "http://astaire-controller:8080").doesNotContain("--topology");
        assertThat(c.getEnv()).as("a node reports with the node secret and never holds the write token")
                .anySatisfy(e -> {
                    assertThat(e.getName()).isEqualTo("ASTAIRE_NODE_TOKEN");
                    assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("astaire-node-token");
                })
                .noneMatch(e -> e.getName().equals("ASTAIRE_TOKEN"));
        Deployment controller = (Deployment) byKindAndName(renderAndReparse(Chains.web(), options)).get("Deployment/astaire-controller");
        assertThat(controller.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv())
                .anySatisfy(e -> assertThat(e.getName()).isEqualTo("ASTAIRE_NODE_TOKEN"));
        Secret nodeSecret = (Secret) byKindAndName(renderAndReparse(Chains.web(), options)).get("Secret/astaire-node-token");
        assertThat(new String(Base64.getDecoder().decode(nodeSecret.getData().get("token")), StandardCharsets.UTF_8))
                .hasSize(64).isNotEqualTo(token(renderAndReparse(Chains.web(), options)));
        assertThatThrownBy(() -> new RenderOptions("sfc", "astaire", "astaire:1", false, "sfc", "dnsmasq:2", "10.96.0.10",
                false, true, null, "1Gi", "astaire0", 1450)).hasMessageContaining("--nodes-from-controller");
    }

    @Test
    void theServiceAccountGetsNoTokenAndItsRoleNoRights() {
        var objects = byKindAndName(renderAndReparse(Chains.web(), OPTIONS));
        assertThat(((io.fabric8.kubernetes.api.model.ServiceAccount) objects.get("ServiceAccount/astaire")).getAutomountServiceAccountToken()).isFalse();
        assertThat(((Role) objects.get("Role/astaire")).getRules()).isEmpty();
        var binding = (io.fabric8.kubernetes.api.model.rbac.RoleBinding) objects.get("RoleBinding/astaire");
        assertThat(binding.getRoleRef().getName()).isEqualTo("astaire");
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getKind()).isEqualTo("ServiceAccount");
            assertThat(s.getNamespace()).isEqualTo("sfc");
        });
        astairePods(objects.values().stream().toList()).forEach(p -> {
            assertThat(p.getServiceAccountName()).isEqualTo("astaire");
            assertThat(p.getAutomountServiceAccountToken()).isFalse();
        });
    }

    @Test
    void aFunctionNamedLikeAnAstaireObjectIsRejected() {
        for (String name : List.of("ingress", "egress", "controller", "chain", "kubernetes")) {
            Topology clash = new Topology(List.of(new FunctionSpec(name, "passthrough", HopAddress.parse("10.0.0.1:4791"))),
                    List.of(), List.of(), null, null, null);
            assertThatThrownBy(() -> new ManifestRenderer(OPTIONS).render(clash)).as(name)
                    .hasMessageContaining("functions[0].name").hasMessageContaining("'" + name + "' is reserved");
        }
    }

    @Test
    void badOptionsNameTheOption() {
        assertThatThrownBy(() -> RenderOptions.defaults().withNamespace("Not_A_Namespace")).hasMessageContaining("--namespace");
        assertThatThrownBy(() -> new RenderOptions("sfc", "astaire", "astaire:1", true, "sfc", "d", "10.96.0.300",
                true, false, null, "1Gi", "astaire0", 1450)).hasMessageContaining("--cluster-dns");
        assertThatThrownBy(() -> new RenderOptions("sfc", "astaire", "astaire:1", true, "sfc", "d", "10.96.0.10",
                true, false, null, "lots", "astaire0", null)).hasMessageContaining("--controller-storage");
        assertThatThrownBy(() -> new RenderOptions("sfc", "astaire", "astaire:1", true, "sfc", "d", "10.96.0.10",
                true, false, null, "1Gi", "astaire0", 576)).hasMessageContaining("--underlay-mtu");
    }

    @Test
    void theStrictReaderRejectsFieldsTheModelDoesNotKnow() {
        String misspelt = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: acl
                spec:
                  replicas: 1
                  template:
                    spec:
                      containers:
                        - name: astaire
                          image: astaire:1
                          readinesProbe:
                            httpGet: {path: /readyz, port: 9090}
                """;
        assertThatThrownBy(() -> StrictManifests.parse(misspelt))
                .hasMessageContaining("Deployment/acl").hasMessageContaining("readinesProbe");
    }

    @Test
    void theStrictReaderRefusesNamesTheApiServerRefuses() {
        String service = """
                apiVersion: v1
                kind: Service
                metadata:
                  name: 1fn
                  labels: {app.kubernetes.io/name: 1fn}
                spec:
                  clusterIP: None
                """;
        assertThatThrownBy(() -> StrictManifests.parse(service)).hasMessageContaining("Service/1fn").hasMessageContaining("DNS-1035");
        String label = service.replace("name: 1fn\n", "name: fn\n").replace("{app.kubernetes.io/name: 1fn}", "{app.kubernetes.io/name: \"" + "x".repeat(64) + "\"}");
        assertThatThrownBy(() -> StrictManifests.parse(label)).hasMessageContaining("label app.kubernetes.io/name value");
    }

    @Test
    void aDirectoryGetsOneNumberedFilePerObject(@TempDir Path dir) throws Exception {
        var objects = new ManifestRenderer(OPTIONS).render(Chains.web());
        var files = ManifestWriter.writeDirectory(objects, dir);
        assertThat(files).hasSize(objects.size());
        assertThat(files.getFirst().getFileName().toString()).isEqualTo("01-serviceaccount-astaire.yaml");
        assertThat(files).anySatisfy(f -> assertThat(f.getFileName().toString()).endsWith("-deployment-astaire-acl.yaml"));
        for (int i = 0; i < files.size(); i++) {
            var parsed = StrictManifests.parse(Files.readString(files.get(i)));
            assertThat(parsed).singleElement().satisfies(o -> assertThat(o.getKind()).isNotBlank());
        }
    }
}
