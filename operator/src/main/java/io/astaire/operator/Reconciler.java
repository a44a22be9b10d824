package io.astaire.operator;

import io.astaire.controller.ApiException;
import io.astaire.controller.NodeSecret;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.ChainSpec;
import io.astaire.model.ModelException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one ServiceChain's objects to what its spec renders (the leader's job): validates the
 * spec with the model and the registry, applies every object with server-side apply, deletes
 * the objects it owned that the spec no longer renders, and writes the status. Idempotent: a
 * reconcile of an unchanged chain applies the same objects and writes no status.
 */
final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    static final String FIELD_MANAGER = "astaire-operator";

    private final KubernetesClient client;
    private final String namespace;
    private final RenderOptions options;
    private final ServedChains served;
    private final NodeSecret nodeSecret;

    Reconciler(KubernetesClient client, String namespace, RenderOptions options, ServedChains served, NodeSecret nodeSecret) {
        this.client = client;
        this.namespace = namespace;
        this.options = options;
        this.served = served;
        this.nodeSecret = nodeSecret;
    }

    private NonNamespaceOperation<GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> chains() {
        return client.genericKubernetesResources(ServiceChainCrd.context()).inNamespace(namespace);
    }

    /** Reconciles the ServiceChain {@code name}; one that is gone has its objects deleted. */
    void reconcile(String name) {
        GenericKubernetesResource r = chains().withName(name).get();
        if (r == null) {
            // The API server's garbage collector deletes owned objects too; doing it here also covers
            // a cluster where it is slow or an object lost its owner reference.
            int deleted = prune(name, null, Set.of());
            if (deleted > 0) {
                LOG.info("operator: ServiceChain {}/{} is gone: deleted its {} objects", namespace, name, deleted);
            }
            return;
        }
        if (r.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        long generation = r.getMetadata().getGeneration() == null ? 0 : r.getMetadata().getGeneration();
        ChainObjects desired;
        try {
            desired = ChainObjects.of(r, options).withControllerAccess(r, nodeSecret);
            served.check(desired.served());
        } catch (ModelException | IllegalArgumentException e) {
            refused(r, generation, "InvalidSpec", e.getMessage());
            return;
        } catch (ApiException e) {
            String m = e.getMessage();
            boolean named = e.field() != null && m.startsWith(e.field());
            refused(r, generation, "InvalidSpec", "spec." + (named || e.field() == null ? m : e.field() + ": " + m));
            return;
        }
        for (HasMetadata o : desired.objects()) {
            client.resource(o).inNamespace(namespace).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        }
        Set<String> keep = new HashSet<>();
        for (HasMetadata o : desired.objects()) {
            keep.add(o.getKind() + "/" + o.getMetadata().getName());
        }
        int pruned = prune(name, r.getMetadata().getUid(), keep);
        List<ChainStatus.Condition> conditions = new ArrayList<>();
        conditions.add(new ChainStatus.Condition(ChainStatus.RECONCILED, true, "Applied", "applied " + desired.objects().size()
                + " objects" + (pruned > 0 ? ", deleted " + pruned + " no longer in the spec" : "")));
        conditions.add(readiness(desired));
        Map<String, Integer> spis = new LinkedHashMap<>();
        for (ChainSpec c : desired.served().chains()) {
            spis.put(c.name(), c.spi());
        }
        writeStatus(r, ChainStatus.build(status(r), generation, conditions, spis));
    }

    private void refused(GenericKubernetesResource r, long generation, String reason, String message) {
        LOG.warn("operator: ServiceChain {} not applied ({}): {}", ChainResource.key(r), reason, message);
        Map<String, Object> previous = status(r);
        Map<String, Object> ready = ChainStatus.condition(previous, ChainStatus.READY);
        List<ChainStatus.Condition> conditions = List.of(
                new ChainStatus.Condition(ChainStatus.RECONCILED, false, reason, message),
                ready != null && "True".equals(ready.get("status"))
                        ? new ChainStatus.Condition(ChainStatus.READY, true, String.valueOf(ready.get("reason")),
                                "the previous generation keeps running: " + ready.get("message"))
                        : new ChainStatus.Condition(ChainStatus.READY, false, reason, "nothing applied: " + message));
        writeStatus(r, ChainStatus.build(previous, generation, conditions, null));
    }

    /** Ready when every Deployment has as many available replicas as it asks for. */
    private ChainStatus.Condition readiness(ChainObjects desired) {
        List<String> waiting = new ArrayList<>();
        for (HasMetadata o : desired.objects()) {
            if (o instanceof Deployment d) {
                Deployment live = client.apps().deployments().inNamespace(namespace).withName(d.getMetadata().getName()).get();
                int want = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
                Integer available = live == null || live.getStatus() == null ? null : live.getStatus().getAvailableReplicas();
                int have = available == null ? 0 : available;
                if (have < want) {
                    waiting.add(d.getMetadata().getName() + " " + have + "/" + want);
                }
            }
        }
        return waiting.isEmpty()
                ? new ChainStatus.Condition(ChainStatus.READY, true, "Available", "every function and edge is available")
                : new ChainStatus.Condition(ChainStatus.READY, false, "Progressing", "waiting for available replicas: " + String.join(", ", waiting));
    }

    /**
     * Deletes the objects labelled as {@code name}'s that {@code keep} does not list. With
     * {@code ownerUid} only those it owns: a ServiceChain deleted and created again under the
     * same name adopts nothing of its predecessor by accident, it re-applies.
     */
    private int prune(String name, String ownerUid, Set<String> keep) {
        int deleted = 0;
        for (Class<? extends HasMetadata> kind : ChainObjects.KINDS) {
            for (HasMetadata o : client.resources(kind).inNamespace(namespace).withLabel(ChainObjects.CHAIN_LABEL, name).list().getItems()) {
                if (keep.contains(o.getKind() + "/" + o.getMetadata().getName())) {
                    continue;
                }
                if (ownerUid == null || ownedBy(o, ownerUid) || !ownedByAServiceChain(o)) {
                    client.resource(o).inNamespace(namespace).delete();
                    deleted++;
                }
            }
        }
        return deleted;
    }

    private static boolean ownedBy(HasMetadata o, String uid) {
        return o.getMetadata().getOwnerReferences() != null
                && o.getMetadata().getOwnerReferences().stream().anyMatch(ref -> uid.equals(ref.getUid()));
    }

    private static boolean ownedByAServiceChain(HasMetadata o) {
        List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
        return refs != null && refs.stream().anyMatch(ref -> ServiceChainCrd.KIND.equals(ref.getKind()));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(GenericKubernetesResource r) {
        Object s = r.getAdditionalProperties().get("status");
        return s instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    private void writeStatus(GenericKubernetesResource r, Map<String, Object> status) {
        if (ChainStatus.same(status(r), status)) {
            return;
        }
        r.getAdditionalProperties().put("status", status);
        chains().resource(r).updateStatus();
        LOG.info("operator: ServiceChain {} generation {}: {}", ChainResource.key(r), status.get("observedGeneration"), status.get("conditions"));
    }

    /** The names of ServiceChains that have objects here: to prune those whose chain went while no one led. */
    Set<String> chainsWithObjects() {
        Set<String> names = new HashSet<>();
        for (Deployment d : client.apps().deployments().inNamespace(namespace).withLabel(ChainObjects.CHAIN_LABEL).list().getItems()) {
            names.add(d.getMetadata().getLabels().get(ChainObjects.CHAIN_LABEL));
        }
        return names;
    }
}
