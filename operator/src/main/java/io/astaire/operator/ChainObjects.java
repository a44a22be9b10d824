package io.astaire.operator;

import io.astaire.k8s.ManifestRenderer;
import io.astaire.k8s.Names;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.ArrayList;
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
 */
public final class ChainObjects {
    /** On every object the operator applies: the ServiceChain it belongs to (selects what to prune). */
    public static final String CHAIN_LABEL = "astaire.io/servicechain";
    /** The kinds the operator applies, and so the kinds it looks through when pruning. */
    static final Set<Class<? extends HasMetadata>> KINDS = Set.of(ServiceAccount.class, ConfigMap.class, Service.class, Deployment.class);

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
        OwnerReference owner = ownerReference(resource);
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
            Map<String, String> withChain = new LinkedHashMap<>(labels == null ? Map.of() : labels);
            withChain.put(CHAIN_LABEL, resource.getMetadata().getName());
            o.getMetadata().setLabels(withChain);
            o.getMetadata().setOwnerReferences(List.of(owner));
            out.add(o);
        }
        if (served == null) {
            throw new IllegalStateException("the renderer produced no ConfigMap with " + Names.CHAIN_FILE);
        }
        return new ChainObjects(List.copyOf(out), served);
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
