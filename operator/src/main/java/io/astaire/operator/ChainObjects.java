package io.astaire.operator;

import io.astaire.controller.NodeSecret;
import io.astaire.k8s.ChainObjectNames;
import io.astaire.k8s.ManifestRenderer;
import io.astaire.k8s.Names;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.ControllerProtocol;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one ServiceChain becomes in the cluster: the objects {@code astaire k8s render
 * --nodes-from-controller --no-dnsmasq} produces for its chain, without the controller's own
 * (the operator is the controller), each labelled with {@link #CHAIN_LABEL} and owned by the
 * ServiceChain so that deleting it deletes them. The chain the nodes are served is the one in the
 * rendered ConfigMap: the renderer decides the in-cluster addresses, in one place.
 *
 * <p>The rendered nodes watch {@code http://<chain>-controller:8080} with the node secret from
 * {@code <chain>-node-token}; in the operator mode the controller is the operator, so instead of
 * the renderer's controller the chain gets a Service of that name that selects the operator's
 * pods and a Secret of that name holding the operator's node secret ({@link #withControllerAccess}),
 * and its nodes watch that chain's own API on the operator,
 * {@code http://<chain>-controller:8080/servicechains/<chain>}: one operator serves every chain of
 * its namespace, each under its name.
 */
public final class ChainObjects {
    /** On every object the operator applies: the ServiceChain it belongs to (selects what to prune). */
    public static final String CHAIN_LABEL = "astaire.io/servicechain";
    /** The kinds the operator applies, and so the kinds it looks through when pruning. */
    static final Set<Class<? extends HasMetadata>> KINDS = Set.of(ServiceAccount.class, ConfigMap.class, Secret.class, Service.class,
            Deployment.class, PodDisruptionBudget.class, NetworkPolicy.class);

    private final List<HasMetadata> objects;
    private final Topology served;

    private ChainObjects(List<HasMetadata> objects, Topology served) {
        this.objects = objects;
        this.served = served;
    }

    /**
     * Renders {@code resource}'s chain with {@code base} (image, TUN, MTU), in the resource's
     * namespace, for nodes that watch the controller.
     *
     * @throws io.astaire.model.ModelException when the spec is invalid (the field named from {@code spec})
     * @throws IllegalArgumentException when the renderer refuses it (a reserved function name)
     */
    public static ChainObjects of(GenericKubernetesResource resource, RenderOptions base) {
        Topology declared = ChainResource.topology(resource);
        RenderOptions options = base.withNamespace(resource.getMetadata().getNamespace())
                .withInstance(resource.getMetadata().getName()).withDnsmasq(false).withNodesFromController(true);
        List<HasMetadata> rendered = new ManifestRenderer(options).render(declared);
        List<HasMetadata> out = new ArrayList<>();
        Topology served = null;
        for (HasMetadata o : rendered) {
            Map<String, String> labels = o.getMetadata().getLabels();
            boolean controllersOwn = labels != null && "controller".equals(labels.get(Names.LABEL_COMPONENT));
            if (controllersOwn || !KINDS.contains(o.getClass())) {
                continue;
            }
            if (o instanceof ConfigMap cm && cm.getData() != null && cm.getData().containsKey(Names.CHAIN_FILE)) {
                served = TopologyCodec.parse(cm.getData().get(Names.CHAIN_FILE));
            }
            if (o instanceof Deployment d) {
                watchOwnApi(d, resource.getMetadata().getName());
            }
            out.add(owned(o, resource));
        }
        if (served == null) {
            throw new IllegalStateException("the renderer produced no ConfigMap with " + Names.CHAIN_FILE);
        }
        return new ChainObjects(List.copyOf(out), served);
    }

    /**
     * These objects preceded by what lets the chain's nodes reach the operator as their
     * controller: the Service {@code <chain>-controller} onto the operator's pods and the Secret
     * {@code <chain>-node-token} with {@code secret}, from which each node derives its report token.
     */
    public ChainObjects withControllerAccess(GenericKubernetesResource resource, NodeSecret secret) {
        ChainObjectNames names = new ChainObjectNames(resource.getMetadata().getName());
        String namespace = resource.getMetadata().getNamespace();
        Map<String, String> labels = controllerLabels(names.controller(), names.instance());
        HasMetadata service = new ServiceBuilder().withNewMetadata().withName(names.controller()).withNamespace(namespace)
                .withLabels(labels).endMetadata()
                .withNewSpec().withType("ClusterIP").withSelector(OperatorManifests.selector())
                .addNewPort().withName("http").withProtocol("TCP").withPort(Names.CONTROLLER_PORT)
                .withTargetPort(new IntOrString(Names.CONTROLLER_PORT)).endPort().endSpec().build();
        HasMetadata nodeToken = new SecretBuilder().withNewMetadata().withName(names.nodeToken()).withNamespace(namespace)
                .withLabels(controllerLabels(names.nodeToken(), names.instance())).endMetadata().withType("Opaque")
                .addToData(Names.TOKEN_KEY, Base64.getEncoder().encodeToString(secret.value().getBytes(StandardCharsets.UTF_8)))
                .build();
        List<HasMetadata> all = new ArrayList<>(List.of(owned(nodeToken, resource), owned(service, resource)));
        all.addAll(objects);
        return new ChainObjects(List.copyOf(all), served);
    }

    /** Points the nodes' {@code --controller URL} at the ServiceChain's own API on the operator. */
    private static void watchOwnApi(Deployment d, String chain) {
        for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
            List<String> args = c.getArgs();
            int at = args == null ? -1 : args.indexOf("--controller");
            if (at >= 0 && at + 1 < args.size()) {
                List<String> changed = new ArrayList<>(args);
                changed.set(at + 1, args.get(at + 1).replaceAll("/+$", "") + ControllerProtocol.serviceChainPath(chain));
                c.setArgs(changed);
            }
        }
    }

    private static Map<String, String> controllerLabels(String name, String instance) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(Names.LABEL_NAME, name);
        m.put(Names.LABEL_INSTANCE, instance);
        m.put(Names.LABEL_COMPONENT, "controller");
        m.put(Names.LABEL_PART_OF, Names.PART_OF);
        m.put(Names.LABEL_MANAGED_BY, OperatorManifests.ACCOUNT);
        return m;
    }

    /** {@code o} labelled as {@code resource}'s and owned by it. */
    private static HasMetadata owned(HasMetadata o, GenericKubernetesResource resource) {
        Map<String, String> labels = o.getMetadata().getLabels();
        Map<String, String> withChain = new LinkedHashMap<>(labels == null ? Map.of() : labels);
        withChain.put(CHAIN_LABEL, resource.getMetadata().getName());
        o.getMetadata().setLabels(withChain);
        o.getMetadata().setOwnerReferences(List.of(ownerReference(resource)));
        return o;
    }

    static OwnerReference ownerReference(GenericKubernetesResource resource) {
        return new OwnerReferenceBuilder().withApiVersion(ServiceChainCrd.apiVersion()).withKind(ServiceChainCrd.KIND)
                .withName(resource.getMetadata().getName()).withUid(resource.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build();
    }

    /** The objects to apply, in an order the API server accepts (what is referenced comes first). */
    public List<HasMetadata> objects() {
        return objects;
    }

    /** The chain as the nodes in the cluster see it: every hop at its Service's name. */
    public Topology served() {
        return served;
    }
}
