package io.astaire.k8s;

import static io.astaire.k8s.Names.*;
import static io.astaire.k8s.PodParts.*;

import io.astaire.model.FunctionSpec;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.CapabilitiesBuilder;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.astaire.model.ControllerProtocol;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders the Kubernetes objects that run one chain: for each function a Deployment (its
 * replicas from the chain spec) behind a headless Service named after it; the ingress and the
 * egress (the only pods with {@code NET_ADMIN} and {@code /dev/net/tun}); optionally the controller
 * (Deployment, Service, PersistentVolumeClaim for its SQLite file, Secret with its API token);
 * the chain spec in a ConfigMap with every address rewritten to its Service
 * ({@link ClusterTopology}); a ServiceAccount whose Role grants nothing; and optionally the
 * design note's node-local dnsmasq cache as a DaemonSet, with {@code DNS_IP} (the node's IP,
 * from the downward API) in every Astaire pod.
 *
 * <p>The Helm chart under {@code deploy/helm/astaire} produces the same objects; a test
 * compares the two.
 */
public final class ManifestRenderer {

    private static final String CHAIN_PATH = CONFIG_DIR + "/" + CHAIN_FILE;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final RenderOptions options;

    public ManifestRenderer(RenderOptions options) {
        this.options = options;
    }

    /** Every object, in an order {@code kubectl apply} accepts (what is referenced comes first). */
    public List<HasMetadata> render(Topology chain) {
        Topology inCluster = ClusterTopology.rewrite(chain, options.namespace());
        List<HasMetadata> out = new ArrayList<>();
        out.add(serviceAccount());
        out.add(role());
        out.add(roleBinding());
        out.add(chainConfigMap(inCluster));
        if (options.controller()) {
            out.add(controllerToken());
            out.add(nodeToken());
            out.add(controllerVolumeClaim());
            out.add(controllerService());
            out.add(controllerDeployment());
        }
        for (FunctionSpec f : inCluster.functions()) {
            out.add(headlessService(f.name(), "function", f.address().port()));
            out.add(functionDeployment(f));
        }
        int ingressPort = ClusterTopology.port(inCluster.ingress());
        int egressPort = ClusterTopology.port(inCluster.egress());
        out.add(headlessService(INGRESS, "ingress", ingressPort));
        out.add(edgeDeployment(INGRESS, "ingress", ingressPort));
        out.add(headlessService(EGRESS, "egress", egressPort));
        out.add(edgeDeployment(EGRESS, "egress", egressPort));
        if (options.dnsmasq()) {
            out.add(dnsmasqDaemonSet());
        }
        return out;
    }

    // ---- metadata

    private Map<String, String> selector(String name) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(LABEL_NAME, name);
        labels.put(LABEL_INSTANCE, options.instance());
        return labels;
    }

    private Map<String, String> labels(String name, String component) {
        Map<String, String> labels = selector(name);
        labels.put(LABEL_COMPONENT, component);
        labels.put(LABEL_PART_OF, PART_OF);
        labels.put(LABEL_MANAGED_BY, MANAGED_BY);
        return labels;
    }

    private ObjectMeta meta(String name, String component) {
        return meta(name, component, options.namespace());
    }

    private ObjectMeta meta(String name, String component, String namespace) {
        return new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels(name, component)).build();
    }

    // ---- access

    private HasMetadata serviceAccount() {
        // Nothing in an Astaire pod talks to the Kubernetes API: no token is mounted at all.
        return new ServiceAccountBuilder().withMetadata(meta(SERVICE_ACCOUNT, "rbac"))
                .withAutomountServiceAccountToken(false).build();
    }

    private HasMetadata role() {
        // Least privilege is no privilege: nodes read the chain from the mounted ConfigMap (or the
        // controller over HTTP), never from the API server. The Role exists, empty, so that an
        // operator who adds an API-reading component grants it here, visibly, and nowhere else.
        return new RoleBuilder().withMetadata(meta(SERVICE_ACCOUNT, "rbac")).build();
    }

    private HasMetadata roleBinding() {
        return new RoleBindingBuilder().withMetadata(meta(SERVICE_ACCOUNT, "rbac"))
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", SERVICE_ACCOUNT)
                .addNewSubject().withKind("ServiceAccount").withName(SERVICE_ACCOUNT).withNamespace(options.namespace()).endSubject()
                .build();
    }

    private HasMetadata chainConfigMap(Topology inCluster) {
        return new ConfigMapBuilder().withMetadata(meta(CHAIN_CONFIG, "config"))
                .addToData(CHAIN_FILE, TopologyCodec.toYaml(inCluster)).build();
    }

    // ---- controller

    private HasMetadata controllerToken() {
        String token = options.controllerToken() != null ? options.controllerToken() : randomToken();
        return new SecretBuilder().withMetadata(meta(CONTROLLER_TOKEN, "controller")).withType("Opaque")
                .addToData(TOKEN_KEY, Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8))).build();
    }

    /**
     * The node secret, random per render: every node pod derives its own report token from it
     * (pod names are known only at run time), and it cannot write configuration, so the nodes never
     * hold the write token.
     */
    private HasMetadata nodeToken() {
        return new SecretBuilder().withMetadata(meta(NODE_TOKEN, "controller")).withType("Opaque")
                .addToData(TOKEN_KEY, Base64.getEncoder().encodeToString(randomToken().getBytes(StandardCharsets.UTF_8))).build();
    }

    /** 256 random bits, hex: fresh for every render unless the operator passes a token. */
    static String randomToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private HasMetadata controllerVolumeClaim() {
        return new PersistentVolumeClaimBuilder().withMetadata(meta(CONTROLLER_DATA, "controller"))
                .withNewSpec().withAccessModes("ReadWriteOnce")
                .withNewResources().addToRequests("storage", new Quantity(options.controllerStorage())).endResources()
                .endSpec().build();
    }

    private HasMetadata controllerService() {
        return new ServiceBuilder().withMetadata(meta(CONTROLLER, "controller"))
                .withNewSpec().withType("ClusterIP").withSelector(selector(CONTROLLER))
                .addToPorts(new ServicePortBuilder().withName("http").withProtocol("TCP").withPort(CONTROLLER_PORT)
                        .withNewTargetPort(CONTROLLER_PORT).build())
                .endSpec().build();
    }

    private HasMetadata controllerDeployment() {
        List<String> args = List.of("controller", "--db", DATA_DIR + "/astaire.db", "--listen", "0.0.0.0:" + CONTROLLER_PORT);
        List<EnvVar> env = new ArrayList<>(dnsEnv());
        env.add(tokenEnv());
        env.add(nodeTokenEnv());
        Container main = new ContainerBuilder().withName("astaire").withImage(options.image()).withArgs(args)
                .withEnv(env)
                .withPorts(port("http", CONTROLLER_PORT, "TCP"))
                // The controller serves /healthz on its API port (it has no separate metrics port).
                .withReadinessProbe(new ProbeBuilder().withNewHttpGet().withPath(HEALTH_PATH).withNewPort(CONTROLLER_PORT).endHttpGet()
                        .withPeriodSeconds(5).build())
                .withLivenessProbe(new ProbeBuilder().withNewHttpGet().withPath(HEALTH_PATH).withNewPort(CONTROLLER_PORT).endHttpGet()
                        .withInitialDelaySeconds(10).withPeriodSeconds(10).build())
                .withResources(resources("100m", "256Mi", "1", "512Mi"))
                .withSecurityContext(nonRoot())
                .withVolumeMounts(new VolumeMountBuilder().withName("data").withMountPath(DATA_DIR).build())
                .build();
        PodTemplateSpec pod = podTemplate(CONTROLLER, "controller", main, List.of(
                new VolumeBuilder().withName("data").withNewPersistentVolumeClaim(CONTROLLER_DATA, false).build()), false);
        return new DeploymentBuilder().withMetadata(meta(CONTROLLER, "controller"))
                // One writer of one SQLite file on a ReadWriteOnce volume: never two pods at once.
                .withNewSpec().withReplicas(1).withNewStrategy().withType("Recreate").endStrategy()
                .withNewSelector().withMatchLabels(selector(CONTROLLER)).endSelector()
                .withTemplate(pod).endSpec().build();
    }

    private EnvVar tokenEnv() {
        return new EnvVarBuilder().withName("ASTAIRE_TOKEN").withNewValueFrom()
                .withNewSecretKeyRef(TOKEN_KEY, CONTROLLER_TOKEN, false).endValueFrom().build();
    }

    private EnvVar nodeTokenEnv() {
        return new EnvVarBuilder().withName(ControllerProtocol.NODE_TOKEN_ENV).withNewValueFrom()
                .withNewSecretKeyRef(TOKEN_KEY, NODE_TOKEN, false).endValueFrom().build();
    }

    // ---- functions and edges

    private HasMetadata headlessService(String name, String component, int udpPort) {
        return new ServiceBuilder().withMetadata(meta(name, component))
                .withNewSpec().withClusterIP("None").withSelector(selector(name))
                .addToPorts(new ServicePortBuilder().withName("nsh").withProtocol("UDP").withPort(udpPort)
                        .withNewTargetPort(udpPort).build())
                .endSpec().build();
    }

    private List<String> topologyArgs() {
        return options.nodesFromController()
                ? List.of("--controller", "http://" + CONTROLLER + ":" + CONTROLLER_PORT)
                : List.of("--topology", CHAIN_PATH);
    }

    private HasMetadata functionDeployment(FunctionSpec f) {
        List<String> args = new ArrayList<>(List.of("sf", "--function", f.name()));
        args.addAll(topologyArgs());
        args.addAll(List.of("--listen", "0.0.0.0:" + f.address().port(), "--metrics-listen", "0.0.0.0:" + METRICS_PORT));
        Container main = nodeContainer(args, f.address().port(), resources("250m", "256Mi", "2", "512Mi"), nonRoot());
        PodTemplateSpec pod = podTemplate(f.name(), "function", main, List.of(), true);
        return new DeploymentBuilder().withMetadata(meta(f.name(), "function"))
                .withNewSpec().withReplicas(f.replicas())
                .withNewSelector().withMatchLabels(selector(f.name())).endSelector()
                .withTemplate(pod).endSpec().build();
    }

    /**
     * The ingress and egress are Deployments of one replica, replaced (not rolled) on update: each
     * owns a TUN device that clients or servers route through, and flow state (the classifier's
     * cache, where replies go) lives in that one process. A DaemonSet would put one on every node,
     * which only helps when every node is a gateway.
     */
    private HasMetadata edgeDeployment(String name, String role, int udpPort) {
        List<String> args = new ArrayList<>(List.of(role));
        args.addAll(topologyArgs());
        args.addAll(List.of("--tun", options.tunName(), "--listen", "0.0.0.0:" + udpPort));
        if (options.underlayMtu() != null) {
            args.addAll(List.of("--underlay-mtu", Integer.toString(options.underlayMtu())));
        }
        args.addAll(List.of("--metrics-listen", "0.0.0.0:" + METRICS_PORT));
        Container main = new ContainerBuilder(nodeContainer(args, udpPort, edgeResources(), tunAccess()))
                .addToVolumeMounts(tunMount("tun"))
                .build();
        Volume tun = tunVolume("tun");
        PodTemplateSpec pod = podTemplate(name, role, main, List.of(tun), true);
        return new DeploymentBuilder().withMetadata(meta(name, role))
                .withNewSpec().withReplicas(1).withNewStrategy().withType("Recreate").endStrategy()
                .withNewSelector().withMatchLabels(selector(name)).endSelector()
                .withTemplate(pod).endSpec().build();
    }

    private Container nodeContainer(List<String> args, int udpPort, ResourceRequirements resources, SecurityContext security) {
        List<EnvVar> env = new ArrayList<>(dnsEnv());
        if (options.nodesFromController()) {
            env.add(nodeTokenEnv()); // to report status; nodes never get the write token
        }
        return new ContainerBuilder().withName("astaire").withImage(options.image()).withArgs(args)
                .withEnv(env)
                .withPorts(port("nsh", udpPort, "UDP"), port("metrics", METRICS_PORT, "TCP"))
                .withReadinessProbe(httpProbe(READY_PATH, 0, 5))
                .withLivenessProbe(httpProbe(HEALTH_PATH, 10, 10))
                .withResources(resources)
                .withSecurityContext(security)
                .withVolumeMounts(chainMount())
                .build();
    }

    private static SecurityContext nonRoot() {
        return new SecurityContextBuilder().withRunAsNonRoot(true).withRunAsUser(NON_ROOT_UID)
                .withAllowPrivilegeEscalation(false)
                .withCapabilities(new CapabilitiesBuilder().addToDrop("ALL").build()).build();
    }

    private static VolumeMount chainMount() {
        // The whole directory, not a subPath: the kubelet then updates the file when the ConfigMap changes.
        return new VolumeMountBuilder().withName("chain").withMountPath(CONFIG_DIR).withReadOnly(true).build();
    }

    private List<EnvVar> dnsEnv() {
        if (!options.dnsmasq()) {
            return List.of();
        }
        return List.of(new EnvVarBuilder().withName(DNS_IP_ENV).withNewValueFrom()
                .withNewFieldRef("v1", "status.hostIP").endValueFrom().build());
    }

    /**
     * The pod around an Astaire container. With dnsmasq on, an init container running the
     * image's entrypoint as root puts {@code nameserver $DNS_IP} first in the pod's resolv.conf
     * (shared by all containers of the pod), so that non-root nodes get the node-local cache too.
     */
    private PodTemplateSpec podTemplate(String name, String component, Container main, List<Volume> extraVolumes, boolean scraped) {
        Map<String, String> annotations = new LinkedHashMap<>();
        if (scraped) {
            annotations.put("prometheus.io/scrape", "true");
            annotations.put("prometheus.io/port", Integer.toString(METRICS_PORT));
            annotations.put("prometheus.io/path", METRICS_PATH);
        }
        List<Volume> volumes = new ArrayList<>();
        if (!component.equals("controller")) {
            volumes.add(new VolumeBuilder().withName("chain").withNewConfigMap().withName(CHAIN_CONFIG).endConfigMap().build());
        }
        volumes.addAll(extraVolumes);
        PodSpecBuilder spec = new PodSpecBuilder()
                .withServiceAccountName(SERVICE_ACCOUNT)
                .withAutomountServiceAccountToken(false)
                .withNewSecurityContext().withFsGroup(NON_ROOT_UID).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .withContainers(main)
                .withVolumes(volumes);
        if (options.dnsmasq()) {
            spec.withInitContainers(new ContainerBuilder().withName("dns-bootstrap").withImage(options.image())
                    .withArgs("dns-bootstrap")
                    .withEnv(dnsEnv())
                    .withResources(resources("10m", "16Mi", "100m", "32Mi"))
                    .withSecurityContext(new SecurityContextBuilder().withRunAsUser(0L).withRunAsNonRoot(false)
                            .withAllowPrivilegeEscalation(false)
                            .withCapabilities(new CapabilitiesBuilder().addToDrop("ALL").build()).build())
                    .build());
        }
        return new PodTemplateSpecBuilder()
                .withNewMetadata().withLabels(labels(name, component)).withAnnotations(annotations.isEmpty() ? null : annotations).endMetadata()
                .withSpec(spec.build()).build();
    }

    // ---- dnsmasq

    /**
     * The design note's node-local DNS cache, in apps/v1: one dnsmasq per node on the host
     * network, answering on the node's IP (what {@code DNS_IP} holds) and forwarding cluster
     * names to the cluster DNS; everything else goes to the node's own resolvers.
     */
    private HasMetadata dnsmasqDaemonSet() {
        String dns = options.clusterDns();
        Capabilities caps = new CapabilitiesBuilder().addToAdd("NET_ADMIN").build();
        Container dnsmasq = new ContainerBuilder().withName("dnsmasq").withImage(options.dnsmasqImage())
                .withCommand("dnsmasq")
                .withArgs("--keep-in-foreground", "--log-facility=-", "--cache-size=10000",
                        "--bind-interfaces", "--listen-address=$(HOST_IP)",
                        "--server=/" + ClusterTopology.CLUSTER_DOMAIN + "/" + dns,
                        "--server=/in-addr.arpa/" + dns,
                        "--server=/ip6.arpa/" + dns)
                .withEnv(new EnvVarBuilder().withName("HOST_IP").withNewValueFrom().withNewFieldRef("v1", "status.hostIP").endValueFrom().build())
                .withPorts(new ContainerPortBuilder().withName("dns").withContainerPort(53).withHostPort(53).withProtocol("UDP").build(),
                        new ContainerPortBuilder().withName("dns-tcp").withContainerPort(53).withHostPort(53).withProtocol("TCP").build())
                .withResources(resources("50m", "32Mi", "200m", "64Mi"))
                .withSecurityContext(new SecurityContextBuilder().withCapabilities(caps).build())
                .build();
        ObjectMeta meta = meta(DNSMASQ, "dns-cache", options.dnsmasqNamespace());
        return new DaemonSetBuilder().withMetadata(meta)
                .withNewSpec().withNewSelector().withMatchLabels(selector(DNSMASQ)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(labels(DNSMASQ, "dns-cache")).endMetadata()
                .withNewSpec().withHostNetwork(true).withDnsPolicy("Default")
                .withAutomountServiceAccountToken(false)
                .withNodeSelector(Map.of("kubernetes.io/os", "linux"))
                .withTolerations(new TolerationBuilder().withKey("node-role.kubernetes.io/control-plane").withOperator("Exists").withEffect("NoSchedule").build())
                .withTerminationGracePeriodSeconds(30L)
                .withContainers(dnsmasq)
                .endSpec().endTemplate().endSpec().build();
    }
}
