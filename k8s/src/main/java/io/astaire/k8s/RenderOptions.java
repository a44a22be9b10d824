package io.astaire.k8s;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How to turn a chain into Kubernetes objects: where they live, which image runs them, and the
 * optional parts (the node-local dnsmasq cache, the controller).
 *
 * @param namespace the namespace of every object (the dnsmasq DaemonSet may live elsewhere)
 * @param instance the {@code app.kubernetes.io/instance} label: tells several chains apart
 * @param image the Astaire container image (deploy/Dockerfile)
 * @param dnsmasq whether pods ask the node-local dnsmasq cache first ({@code DNS_IP}, the node's IP);
 *     the cache itself is installed once per cluster ({@link ManifestRenderer#renderDnsmasq()})
 * @param dnsmasqNamespace where the dnsmasq DaemonSet runs
 * @param dnsmasqImage the image of the dnsmasq DaemonSet: by default Astaire's own, which has Debian's dnsmasq
 * @param clusterDns the cluster DNS service IP that dnsmasq forwards {@code cluster.local} to
 * @param controller whether to deploy the controller (Deployment, Service, PVC, token Secret)
 * @param nodesFromController when true nodes read their topology from the controller instead of the ConfigMap
 * @param controllerToken the controller's API token; {@code null} generates a random one
 * @param controllerStorage the size of the controller's database volume
 * @param tunName the TUN device the ingress and egress create inside their pods
 * @param underlayMtu the pod network's MTU, from which the edges derive the TUN MTU; {@code null}
 *     lets them read it from the pod's interface
 * @param networkPolicy whether a NetworkPolicy lets only the chain's own pods send NSH to its functions
 * @param edges gateway: the ingress and egress Deployments are rendered; sidecar: they are not, and
 *     the edges' Services and the NetworkPolicy select the pods {@code k8s inject} gave sidecars
 */
public record RenderOptions(
        String namespace,
        String instance,
        String image,
        boolean dnsmasq,
        String dnsmasqNamespace,
        String dnsmasqImage,
        String clusterDns,
        boolean controller,
        boolean nodesFromController,
        String controllerToken,
        String controllerStorage,
        String tunName,
        Integer underlayMtu,
        boolean networkPolicy,
        EdgeMode edges) {

    public static final String DEFAULT_NAMESPACE = "default";
    public static final String DEFAULT_INSTANCE = "astaire";
    public static final String DEFAULT_IMAGE = "astaire:0.1.0";
    public static final String DEFAULT_DNSMASQ_IMAGE = DEFAULT_IMAGE;
    /** The service IP kubeadm gives kube-dns by default, as in the design note. */
    public static final String DEFAULT_CLUSTER_DNS = "10.96.0.10";
    public static final String DEFAULT_TUN = "astaire0";

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)");

    public RenderOptions {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(edges, "edges");
        require(DNS_LABEL.matcher(namespace).matches(), "--namespace", "'" + namespace + "' is not a valid namespace name");
        require(DNS_LABEL.matcher(dnsmasqNamespace).matches(), "--dnsmasq-namespace", "'" + dnsmasqNamespace + "' is not a valid namespace name");
        require(ChainObjectNames.DNS_1035.matcher(instance).matches(), "--instance",
                "'" + instance + "' is not a valid instance name (DNS-1035: a lower-case letter first, then lower-case letters, digits or '-')");
        require(!image.isBlank() && image.chars().noneMatch(Character::isWhitespace), "--image", "'" + image + "' is not an image reference");
        require(IPV4.matcher(clusterDns).matches(), "--cluster-dns", "'" + clusterDns + "' is not an IPv4 address");
        require(!nodesFromController || controller, "--nodes-from-controller", "needs the controller (drop --no-controller)");
        require(controllerToken == null || controllerToken.length() >= 16, "--controller-token", "must be at least 16 characters");
        require(underlayMtu == null || (underlayMtu >= 1280 && underlayMtu <= 9216), "--underlay-mtu", "must be within 1280-9216, was " + underlayMtu);
        require(validQuantity(controllerStorage), "--controller-storage", "'" + controllerStorage + "' is not a size such as 1Gi or 500Mi");
        require(underlayMtu == null || edges == EdgeMode.GATEWAY, "--underlay-mtu",
                "sets the MTU of the gateway edges, which --edges sidecar does not render (sidecars read it from their pod)");
        require(tunName.length() <= 15 && !tunName.isBlank(), "--tun", "'" + tunName + "' must be 1-15 characters (an interface name)");
    }

    /** As before sidecar edges: gateway edges. */
    public RenderOptions(String namespace, String instance, String image, boolean dnsmasq, String dnsmasqNamespace,
                         String dnsmasqImage, String clusterDns, boolean controller, boolean nodesFromController,
                         String controllerToken, String controllerStorage, String tunName, Integer underlayMtu,
                         boolean networkPolicy) {
        this(namespace, instance, image, dnsmasq, dnsmasqNamespace, dnsmasqImage, clusterDns, controller, nodesFromController,
                controllerToken, controllerStorage, tunName, underlayMtu, networkPolicy, EdgeMode.GATEWAY);
    }

    /** As before NetworkPolicies: with one. */
    public RenderOptions(String namespace, String instance, String image, boolean dnsmasq, String dnsmasqNamespace,
                         String dnsmasqImage, String clusterDns, boolean controller, boolean nodesFromController,
                         String controllerToken, String controllerStorage, String tunName, Integer underlayMtu) {
        this(namespace, instance, image, dnsmasq, dnsmasqNamespace, dnsmasqImage, clusterDns, controller, nodesFromController,
                controllerToken, controllerStorage, tunName, underlayMtu, true);
    }

    public static RenderOptions defaults() {
        return new RenderOptions(DEFAULT_NAMESPACE, DEFAULT_INSTANCE, DEFAULT_IMAGE, true, DEFAULT_NAMESPACE,
                DEFAULT_DNSMASQ_IMAGE, DEFAULT_CLUSTER_DNS, true, false, null, "1Gi", DEFAULT_TUN, null, true, EdgeMode.GATEWAY);
    }

    public RenderOptions withInstance(String name) {
        return new RenderOptions(namespace, name, image, dnsmasq, dnsmasqNamespace, dnsmasqImage, clusterDns,
                controller, nodesFromController, controllerToken, controllerStorage, tunName, underlayMtu, networkPolicy, edges);
    }

    public RenderOptions withNetworkPolicy(boolean on) {
        return new RenderOptions(namespace, instance, image, dnsmasq, dnsmasqNamespace, dnsmasqImage, clusterDns,
                controller, nodesFromController, controllerToken, controllerStorage, tunName, underlayMtu, on, edges);
    }

    public RenderOptions withEdges(EdgeMode mode) {
        return new RenderOptions(namespace, instance, image, dnsmasq, dnsmasqNamespace, dnsmasqImage, clusterDns,
                controller, nodesFromController, controllerToken, controllerStorage, tunName, underlayMtu, networkPolicy, mode);
    }

    public RenderOptions withNamespace(String ns) {
        boolean followDnsmasq = dnsmasqNamespace.equals(namespace);
        return new RenderOptions(ns, instance, image, dnsmasq, followDnsmasq ? ns : dnsmasqNamespace, dnsmasqImage, clusterDns,
                controller, nodesFromController, controllerToken, controllerStorage, tunName, underlayMtu, networkPolicy, edges);
    }

    /** Another Astaire image; the dnsmasq DaemonSet follows it when it ran Astaire's image too. */
    public RenderOptions withImage(String img) {
        boolean followDnsmasq = dnsmasqImage.equals(image);
        return new RenderOptions(namespace, instance, img, dnsmasq, dnsmasqNamespace, followDnsmasq ? img : dnsmasqImage, clusterDns,
                controller, nodesFromController, controllerToken, controllerStorage, tunName, underlayMtu, networkPolicy, edges);
    }

    public RenderOptions withDnsmasq(boolean on) {
        return new RenderOptions(namespace, instance, image, on, dnsmasqNamespace, dnsmasqImage, clusterDns,
                controller, nodesFromController, controllerToken, controllerStorage, tunName, underlayMtu, networkPolicy, edges);
    }

    public RenderOptions withController(boolean on) {
        return new RenderOptions(namespace, instance, image, dnsmasq, dnsmasqNamespace, dnsmasqImage, clusterDns,
                on, nodesFromController && on, controllerToken, controllerStorage, tunName, underlayMtu, networkPolicy, edges);
    }

    /** Nodes watch the controller instead of reading the ConfigMap; turns the controller on. */
    public RenderOptions withNodesFromController(boolean on) {
        return new RenderOptions(namespace, instance, image, dnsmasq, dnsmasqNamespace, dnsmasqImage, clusterDns,
                controller || on, on, controllerToken, controllerStorage, tunName, underlayMtu, networkPolicy, edges);
    }

    public RenderOptions withControllerToken(String token) {
        return new RenderOptions(namespace, instance, image, dnsmasq, dnsmasqNamespace, dnsmasqImage, clusterDns,
                controller, nodesFromController, token, controllerStorage, tunName, underlayMtu, networkPolicy, edges);
    }

    private static boolean validQuantity(String size) {
        try {
            return size != null && io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(
                    new io.fabric8.kubernetes.api.model.Quantity(size)).signum() > 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void require(boolean ok, String option, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(option + ": " + problem);
        }
    }
}
