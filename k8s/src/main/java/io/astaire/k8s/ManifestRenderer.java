package io.astaire.k8s;

import static io.astaire.k8s.Names.*;
import static io.astaire.k8s.PodParts.*;

import io.astaire.model.ControllerProtocol;
import io.astaire.model.FunctionSpec;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.CapabilitiesBuilder;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
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
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Renders the Kubernetes objects that run one chain instance: for each function a Deployment (its
 * replicas from the chain spec, with a PodDisruptionBudget and a topology spread once there are
 * two) behind a headless Service; the ingress and the egress (the only pods with
 * {@code NET_ADMIN} and {@code /dev/net/tun}) behind theirs, or, with sidecar edges
 * ({@link EdgeMode#SIDECAR}), only the Services, selecting the pods {@code k8s inject} changed; optionally the controller (Deployment, Service,
 * PersistentVolumeClaim for its SQLite file, Secrets with its API token and the node secret);
 * the chain spec in a ConfigMap with every address rewritten to its Service
 * ({@link ClusterTopology}); a ServiceAccount whose Role grants nothing; a NetworkPolicy that lets
 * only the chain's own pods send NSH to its functions; and, with the cache on, {@code DNS_IP}
 * (the node's IP, from the downward API) in every Astaire pod, which the node's resolver asks
 * first. Every object is named {@code <instance>-...} ({@link ChainObjectNames}), so chains never
 * collide. The node-local dnsmasq cache is shared by the cluster: {@link #renderDnsmasq()}.
 *
 * <p>Every pod but the edges' meets the <em>restricted</em> Pod Security level: non-root, no
 * capability, RuntimeDefault seccomp, no privilege escalation, a read-only root file system
 * (the JVM writes only to an emptyDir on {@code /tmp}).
 *
 * <p>The Helm chart under {@code deploy/helm/astaire} produces the same objects; a test
 * compares the two.
 */
public final class ManifestRenderer {

    private static final String CHAIN_PATH = CONFIG_DIR + "/" + CHAIN_FILE;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Pod template annotation that changes with the token, so that pods holding the old one are rolled. */
    public static final String TOKEN_CHECKSUM_ANNOTATION = "astaire.io/token-checksum";

    private final RenderOptions options;
    private final ChainObjectNames names;

    public ManifestRenderer(RenderOptions options) {
        this.options = options;
        this.names = new ChainObjectNames(options.instance());
    }

    /** The names this renderer gives the instance's objects. */
    public ChainObjectNames names() {
        return names;
    }

    /**
     * Every object of the chain instance, in an order {@code kubectl apply} accepts (what is
     * referenced comes first). The dnsmasq DaemonSet is not among them: see {@link #renderDnsmasq()}.
     */
    public List<HasMetadata> render(Topology chain) {
        Topology inCluster = ClusterTopology.rewrite(chain, options.namespace(), options.instance());
        String token = options.controllerToken() != null ? options.controllerToken() : randomToken();
        List<HasMetadata> out = new ArrayList<>();
        out.add(serviceAccount());
        out.add(role());
        out.add(roleBinding());
        out.add(chainConfigMap(inCluster));
        if (options.controller()) {
            out.add(secret(names.controllerToken(), token));
            out.add(secret(names.nodeToken(), nodeSecret(token)));
            out.add(controllerVolumeClaim());
            out.add(controllerService());
            out.add(controllerDeployment(token));
        }
        for (FunctionSpec f : inCluster.functions()) {
            String name = names.function(f.name());
            out.add(headlessService(name, "function", selector(name), f.address().port()));
            out.add(functionDeployment(f, name, token));
            if (f.replicas() > 1) {
                out.add(disruptionBudget(name));
            }
        }
        if (options.networkPolicy() && !inCluster.functions().isEmpty()) {
            out.add(functionsNetworkPolicy(inCluster));
        }
        int ingressPort = ClusterTopology.port(inCluster.ingress());
        int egressPort = ClusterTopology.port(inCluster.egress());
        out.add(edgeService(names.ingress(), "ingress", ingressPort));
        if (options.edges() == EdgeMode.GATEWAY) {
            out.add(edgeDeployment(names.ingress(), "ingress", ingressPort, token));
        }
        out.add(edgeService(names.egress(), "egress", egressPort));
        if (options.edges() == EdgeMode.GATEWAY) {
            out.add(edgeDeployment(names.egress(), "egress", egressPort, token));
        }
        return out;
    }

    /**
     * The node-local dnsmasq cache, installed once per cluster and shared by every chain
     * ({@code astaire k8s render --dnsmasq-only}): a DaemonSet in {@link RenderOptions#dnsmasqNamespace()}.
     */
    public List<HasMetadata> renderDnsmasq() {
        return List.of(dnsmasqDaemonSet());
    }

    // ---- metadata

    private Map<String, String> selector(String name) {
        return selector(name, options.instance());
    }

    private static Map<String, String> selector(String name, String instance) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(LABEL_NAME, name);
        labels.put(LABEL_INSTANCE, instance);
        return labels;
    }

    private Map<String, String> labels(String name, String component) {
        return labels(name, component, options.instance());
    }

    private static Map<String, String> labels(String name, String component, String instance) {
        Map<String, String> labels = selector(name, instance);
        labels.put(LABEL_COMPONENT, component);
        labels.put(LABEL_PART_OF, PART_OF);
        labels.put(LABEL_MANAGED_BY, MANAGED_BY);
        return labels;
    }

    private ObjectMeta meta(String name, String component) {
        return new ObjectMetaBuilder().withName(name).withNamespace(options.namespace()).withLabels(labels(name, component)).build();
    }

    // ---- access

    private HasMetadata serviceAccount() {
        // Nothing in an Astaire pod talks to the Kubernetes API: no token is mounted at all.
        return new ServiceAccountBuilder().withMetadata(meta(names.serviceAccount(), "rbac"))
                .withAutomountServiceAccountToken(false).build();
    }

    private HasMetadata role() {
        // Least privilege is no privilege: nodes read the chain from the mounted ConfigMap (or the
        // controller over HTTP), never from the API server. The Role exists, empty, so that an
        // operator who adds an API-reading component grants it here, visibly, and nowhere else.
        return new RoleBuilder().withMetadata(meta(names.serviceAccount(), "rbac")).build();
    }

    private HasMetadata roleBinding() {
        return new RoleBindingBuilder().withMetadata(meta(names.serviceAccount(), "rbac"))
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", names.serviceAccount())
                .addNewSubject().withKind("ServiceAccount").withName(names.serviceAccount()).withNamespace(options.namespace()).endSubject()
                .build();
    }

    private HasMetadata chainConfigMap(Topology inCluster) {
        return new ConfigMapBuilder().withMetadata(meta(names.chainConfig(), "config"))
                .addToData(CHAIN_FILE, TopologyCodec.toYaml(inCluster)).build();
    }

    /**
     * Port {@code 4790} (each function's NSH port) of a function accepts only the chain's own pods
     * (the instance's ingress, egress and functions, in this namespace, and with sidecar edges the
     * pods that hold them); the ops port (metrics and
     * probes) stays open to scrapers. Without a CNI that enforces NetworkPolicies this object
     * changes nothing (docs/kubernetes.md).
     */
    private HasMetadata functionsNetworkPolicy(Topology inCluster) {
        List<NetworkPolicyPort> nsh = new ArrayList<>();
        for (int port : new TreeSet<>(inCluster.functions().stream().map(f -> f.address().port()).toList())) {
            nsh.add(new NetworkPolicyPortBuilder().withProtocol("UDP").withPort(new IntOrString(port)).build());
        }
        List<NetworkPolicyPeer> chainPods = new ArrayList<>();
        chainPods.add(new NetworkPolicyPeerBuilder().withNewPodSelector()
                .addToMatchLabels(LABEL_INSTANCE, options.instance()).addToMatchLabels(LABEL_PART_OF, PART_OF)
                .addNewMatchExpression().withKey(LABEL_COMPONENT).withOperator("In").withValues("ingress", "egress", "function").endMatchExpression()
                .endPodSelector().build());
        if (options.edges() == EdgeMode.SIDECAR) {
            // The workloads' pods that hold this instance's ingress or egress (labelled by k8s inject), in this namespace.
            chainPods.add(new NetworkPolicyPeerBuilder().withNewPodSelector()
                    .addToMatchLabels(MEMBER_LABEL, options.instance())
                    .addNewMatchExpression().withKey(EDGE_LABEL).withOperator("In").withValues("ingress", "egress").endMatchExpression()
                    .endPodSelector().build());
        }
        return new NetworkPolicyBuilder().withMetadata(meta(names.networkPolicy(), "network-policy"))
                .withNewSpec()
                .withNewPodSelector().addToMatchLabels(LABEL_INSTANCE, options.instance()).addToMatchLabels(LABEL_COMPONENT, "function").endPodSelector()
                .withPolicyTypes("Ingress")
                .addNewIngress()
                .withFrom(chainPods)
                .withPorts(nsh)
                .endIngress()
                .addNewIngress()
                .addNewPort().withProtocol("TCP").withPort(new IntOrString(METRICS_PORT)).endPort()
                .endIngress()
                .endSpec().build();
    }

    // ---- controller

    private HasMetadata secret(String name, String value) {
        return new SecretBuilder().withMetadata(meta(name, "controller")).withType("Opaque")
                .addToData(TOKEN_KEY, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8))).build();
    }

    /**
     * The node secret, derived from the token (SHA-256 of a fixed prefix and the token, hex): it is
     * as stable as the token across renders, every node pod derives its own report token from it
     * (pod names are known only at run time), and it cannot be turned back into the token, so the
     * nodes never hold the write token. The Helm chart derives it the same way.
     */
    static String nodeSecret(String token) {
        return sha256Hex("astaire-node-token:" + token);
    }

    /** What {@value #TOKEN_CHECKSUM_ANNOTATION} holds: changes with the token, reveals nothing of it. */
    static String tokenChecksum(String token) {
        return sha256Hex("astaire-token-checksum:" + token).substring(0, 16);
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** 256 random bits, hex: fresh for every render unless the operator passes a token. */
    public static String randomToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private HasMetadata controllerVolumeClaim() {
        return new PersistentVolumeClaimBuilder().withMetadata(meta(names.controllerData(), "controller"))
                .withNewSpec().withAccessModes("ReadWriteOnce")
                .withNewResources().addToRequests("storage", new Quantity(options.controllerStorage())).endResources()
                .endSpec().build();
    }

    private HasMetadata controllerService() {
        return new ServiceBuilder().withMetadata(meta(names.controller(), "controller"))
                .withNewSpec().withType("ClusterIP").withSelector(selector(names.controller()))
                .addToPorts(new ServicePortBuilder().withName("http").withProtocol("TCP").withPort(CONTROLLER_PORT)
                        .withNewTargetPort(CONTROLLER_PORT).build())
                .endSpec().build();
    }

    private HasMetadata controllerDeployment(String token) {
        List<String> args = List.of("controller", "--db", DATA_DIR + "/astaire.db", "--listen", "0.0.0.0:" + CONTROLLER_PORT);
        List<EnvVar> env = new ArrayList<>(dnsEnv());
        env.add(secretEnv("ASTAIRE_TOKEN", names.controllerToken()));
        env.add(secretEnv(ControllerProtocol.NODE_TOKEN_ENV, names.nodeToken()));
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
                .withVolumeMounts(new VolumeMountBuilder().withName("data").withMountPath(DATA_DIR).build(), tmpMount())
                .build();
        PodTemplateSpec pod = podTemplate(names.controller(), "controller", main, List.of(
                new VolumeBuilder().withName("data").withNewPersistentVolumeClaim(names.controllerData(), false).build()), false, token, 1);
        return new DeploymentBuilder().withMetadata(meta(names.controller(), "controller"))
                // One writer of one SQLite file on a ReadWriteOnce volume: never two pods at once.
                .withNewSpec().withReplicas(1).withNewStrategy().withType("Recreate").endStrategy()
                .withNewSelector().withMatchLabels(selector(names.controller())).endSelector()
                .withTemplate(pod).endSpec().build();
    }

    private static EnvVar secretEnv(String env, String secret) {
        return new EnvVarBuilder().withName(env).withNewValueFrom()
                .withNewSecretKeyRef(TOKEN_KEY, secret, false).endValueFrom().build();
    }

    // ---- functions and edges

    private HasMetadata headlessService(String name, String component, Map<String, String> selector, int udpPort) {
        return new ServiceBuilder().withMetadata(meta(name, component))
                .withNewSpec().withClusterIP("None").withSelector(selector)
                .addToPorts(new ServicePortBuilder().withName("nsh").withProtocol("UDP").withPort(udpPort)
                        .withNewTargetPort(udpPort).build())
                .endSpec().build();
    }

    /**
     * The name the chain gives the ingress or egress: it resolves to the gateway pod, or, with
     * sidecar edges, to every pod {@code k8s inject} gave that edge in this instance (the last hop
     * then goes to the pod the packet is addressed to).
     */
    private HasMetadata edgeService(String name, String role, int udpPort) {
        Map<String, String> pods = options.edges() == EdgeMode.GATEWAY ? selector(name) : sidecarSelector(role);
        return headlessService(name, role, pods, udpPort);
    }

    private Map<String, String> sidecarSelector(String role) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(MEMBER_LABEL, options.instance());
        labels.put(EDGE_LABEL, role);
        return labels;
    }

    private List<String> topologyArgs() {
        return options.nodesFromController()
                ? List.of("--controller", "http://" + names.controller() + ":" + CONTROLLER_PORT)
                : List.of("--topology", CHAIN_PATH);
    }

    private HasMetadata functionDeployment(FunctionSpec f, String name, String token) {
        List<String> args = new ArrayList<>(List.of("sf", "--function", f.name()));
        args.addAll(topologyArgs());
        args.addAll(List.of("--listen", "0.0.0.0:" + f.address().port(), "--metrics-listen", "0.0.0.0:" + METRICS_PORT));
        Container main = nodeContainer(args, f.address().port(), resources("250m", "256Mi", "2", "512Mi"), nonRoot());
        PodTemplateSpec pod = podTemplate(name, "function", main, List.of(), true, token, f.replicas());
        return new DeploymentBuilder().withMetadata(meta(name, "function"))
                .withNewSpec().withReplicas(f.replicas())
                .withNewSelector().withMatchLabels(selector(name)).endSelector()
                .withTemplate(pod).endSpec().build();
    }

    /** At most one replica of a scaled-out function down at a time for voluntary disruptions (node drains). */
    private HasMetadata disruptionBudget(String name) {
        return new PodDisruptionBudgetBuilder().withMetadata(meta(name, "function"))
                .withNewSpec().withMaxUnavailable(new IntOrString(1))
                .withNewSelector().withMatchLabels(selector(name)).endSelector()
                .endSpec().build();
    }

    /**
     * The ingress and egress are Deployments of one replica, replaced (not rolled) on update: each
     * owns a TUN device that clients or servers route through, and flow state (the classifier's
     * cache, where replies go) lives in that one process. A DaemonSet would put one on every node,
     * which only helps when every node is a gateway.
     */
    private HasMetadata edgeDeployment(String name, String role, int udpPort, String token) {
        List<String> args = new ArrayList<>(List.of(role));
        args.addAll(topologyArgs());
        args.addAll(List.of("--tun", options.tunName(), "--listen", "0.0.0.0:" + udpPort));
        if (options.underlayMtu() != null) {
            args.addAll(List.of("--underlay-mtu", Integer.toString(options.underlayMtu())));
        }
        args.addAll(List.of("--metrics-listen", "0.0.0.0:" + METRICS_PORT));
        // The one exception to "restricted": TUNSETIFF needs CAP_NET_ADMIN (PodParts.tunAccess); the root stays read-only.
        SecurityContext edgeAccess = new SecurityContextBuilder(tunAccess()).withReadOnlyRootFilesystem(true).build();
        Container main = new ContainerBuilder(nodeContainer(args, udpPort, edgeResources(), edgeAccess))
                .addToVolumeMounts(tunMount("tun"))
                .build();
        Volume tun = tunVolume("tun");
        PodTemplateSpec pod = podTemplate(name, role, main, List.of(tun), true, token, 1);
        return new DeploymentBuilder().withMetadata(meta(name, role))
                .withNewSpec().withReplicas(1).withNewStrategy().withType("Recreate").endStrategy()
                .withNewSelector().withMatchLabels(selector(name)).endSelector()
                .withTemplate(pod).endSpec().build();
    }

    private Container nodeContainer(List<String> args, int udpPort, ResourceRequirements resources, SecurityContext security) {
        List<EnvVar> env = new ArrayList<>(dnsEnv());
        if (options.nodesFromController()) {
            env.add(secretEnv(ControllerProtocol.NODE_TOKEN_ENV, names.nodeToken())); // to report status; nodes never get the write token
        }
        return new ContainerBuilder().withName("astaire").withImage(options.image()).withArgs(args)
                .withEnv(env)
                .withPorts(port("nsh", udpPort, "UDP"), port("metrics", METRICS_PORT, "TCP"))
                .withReadinessProbe(httpProbe(READY_PATH, 0, 5))
                .withLivenessProbe(httpProbe(HEALTH_PATH, 10, 10))
                .withResources(resources)
                .withSecurityContext(security)
                .withVolumeMounts(chainMount(), tmpMount())
                .build();
    }

    private static SecurityContext nonRoot() {
        return new SecurityContextBuilder().withRunAsNonRoot(true).withRunAsUser(NON_ROOT_UID)
                .withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                .withCapabilities(new CapabilitiesBuilder().addToDrop("ALL").build()).build();
    }

    private static VolumeMount chainMount() {
        // The whole directory, not a subPath: the kubelet then updates the file when the ConfigMap changes.
        return new VolumeMountBuilder().withName("chain").withMountPath(CONFIG_DIR).withReadOnly(true).build();
    }

    /** The root file system is read-only; the JVM (perf data, Netty's native libraries) writes here. */
    private static VolumeMount tmpMount() {
        return new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build();
    }

    private List<EnvVar> dnsEnv() {
        if (!options.dnsmasq()) {
            return List.of();
        }
        return List.of(new EnvVarBuilder().withName(DNS_IP_ENV).withNewValueFrom()
                .withNewFieldRef("v1", "status.hostIP").endValueFrom().build());
    }

    /**
     * The pod around an Astaire container. No init container: the node's resolver asks the
     * node-local cache ({@code DNS_IP}) itself, so nothing needs root to edit resolv.conf. Pods that
     * hold the token or the node secret carry its checksum, so a new token rolls them.
     */
    private PodTemplateSpec podTemplate(String name, String component, Container main, List<Volume> extraVolumes,
                                        boolean scraped, String token, int replicas) {
        Map<String, String> annotations = new LinkedHashMap<>();
        if (scraped) {
            annotations.put("prometheus.io/scrape", "true");
            annotations.put("prometheus.io/port", Integer.toString(METRICS_PORT));
            annotations.put("prometheus.io/path", METRICS_PATH);
        }
        if (component.equals("controller") || (options.controller() && options.nodesFromController())) {
            annotations.put(TOKEN_CHECKSUM_ANNOTATION, tokenChecksum(token));
        }
        List<Volume> volumes = new ArrayList<>();
        if (!component.equals("controller")) {
            volumes.add(new VolumeBuilder().withName("chain").withNewConfigMap().withName(names.chainConfig()).endConfigMap().build());
        }
        volumes.addAll(extraVolumes);
        volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().withSizeLimit(new Quantity("64Mi")).endEmptyDir().build());
        PodSpecBuilder spec = new PodSpecBuilder()
                .withServiceAccountName(names.serviceAccount())
                .withAutomountServiceAccountToken(false)
                .withNewSecurityContext().withFsGroup(NON_ROOT_UID).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .withContainers(main)
                .withVolumes(volumes);
        if (replicas > 1) {
            // Replicas on different nodes where the cluster allows it, never blocking scheduling.
            spec.withTopologySpreadConstraints(new TopologySpreadConstraintBuilder().withMaxSkew(1)
                    .withTopologyKey("kubernetes.io/hostname").withWhenUnsatisfiable("ScheduleAnyway")
                    .withNewLabelSelector().withMatchLabels(selector(name)).endLabelSelector().build());
        }
        return new PodTemplateSpecBuilder()
                .withNewMetadata().withLabels(labels(name, component)).withAnnotations(annotations.isEmpty() ? null : annotations).endMetadata()
                .withSpec(spec.build()).build();
    }

    // ---- dnsmasq

    /**
     * The design note's node-local DNS cache, in apps/v1: one dnsmasq per node on the host
     * network, answering only on the node's IP (what {@code DNS_IP} holds, where pods reach it)
     * and forwarding cluster names to the cluster DNS; everything else goes to the node's own
     * resolvers. Debian's dnsmasq in Astaire's image by default. It starts as root only to bind
     * port 53 and then runs as the image's unprivileged user.
     */
    private HasMetadata dnsmasqDaemonSet() {
        String dns = options.clusterDns();
        String instance = ChainObjectNames.dnsmasq();
        Probe answers = new ProbeBuilder().withNewTcpSocket().withNewPort(53).endTcpSocket().withPeriodSeconds(10).withFailureThreshold(3).build();
        Container dnsmasq = new ContainerBuilder().withName("dnsmasq").withImage(options.dnsmasqImage())
                .withCommand("/usr/sbin/dnsmasq")
                .withArgs("--keep-in-foreground", "--log-facility=-", "--cache-size=10000", "--pid-file=",
                        "--user=astaire", "--group=astaire",
                        "--bind-interfaces", "--listen-address=$(HOST_IP)",
                        "--server=/" + ClusterTopology.CLUSTER_DOMAIN + "/" + dns,
                        "--server=/in-addr.arpa/" + dns,
                        "--server=/ip6.arpa/" + dns)
                .withEnv(new EnvVarBuilder().withName("HOST_IP").withNewValueFrom().withNewFieldRef("v1", "status.hostIP").endValueFrom().build())
                .withPorts(new ContainerPortBuilder().withName("dns").withContainerPort(53).withHostPort(53).withProtocol("UDP").build(),
                        new ContainerPortBuilder().withName("dns-tcp").withContainerPort(53).withHostPort(53).withProtocol("TCP").build())
                .withReadinessProbe(answers)
                .withLivenessProbe(new ProbeBuilder(answers).withInitialDelaySeconds(5).build())
                .withResources(resources("50m", "32Mi", "200m", "64Mi"))
                .withSecurityContext(new SecurityContextBuilder().withRunAsUser(0L).withRunAsNonRoot(false)
                        .withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                        .withCapabilities(new CapabilitiesBuilder().addToDrop("ALL").addToAdd("NET_BIND_SERVICE", "SETUID", "SETGID").build())
                        .build())
                .build();
        ObjectMeta meta = new ObjectMetaBuilder().withName(ChainObjectNames.dnsmasq()).withNamespace(options.dnsmasqNamespace())
                .withLabels(labels(ChainObjectNames.dnsmasq(), "dns-cache", instance)).build();
        return new DaemonSetBuilder().withMetadata(meta)
                .withNewSpec().withNewSelector().withMatchLabels(selector(ChainObjectNames.dnsmasq(), instance)).endSelector()
                .withNewUpdateStrategy().withType("RollingUpdate").endUpdateStrategy()
                .withNewTemplate().withNewMetadata().withLabels(labels(ChainObjectNames.dnsmasq(), "dns-cache", instance)).endMetadata()
                .withNewSpec().withHostNetwork(true).withDnsPolicy("Default")
                .withAutomountServiceAccountToken(false)
                .withNewSecurityContext().withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .withNodeSelector(Map.of("kubernetes.io/os", "linux"))
                .withTolerations(new TolerationBuilder().withKey("node-role.kubernetes.io/control-plane").withOperator("Exists").withEffect("NoSchedule").build())
                .withTerminationGracePeriodSeconds(30L)
                .withContainers(dnsmasq)
                .endSpec().endTemplate().endSpec().build();
    }
}
