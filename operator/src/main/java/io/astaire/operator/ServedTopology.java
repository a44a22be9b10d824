package io.astaire.operator;

import io.astaire.controller.ApiException;
import io.astaire.controller.ApplyDocument;
import io.astaire.controller.Registry;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.ModelException;
import io.astaire.model.Topology;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the controller's registry, which the HTTP API serves to the nodes, equal to what the
 * ServiceChains say. Every replica runs it (all of them serve reads); it writes nothing to the
 * API server. One namespace serves one chain at a time: the registry holds one topology and the
 * nodes' requests do not say which chain they are of, so the oldest ServiceChain is served and
 * the reconciler marks the others as conflicting (their objects, named {@code <chain>-...}, would
 * not collide). An invalid spec leaves the last valid topology served: running
 * nodes keep their chain while the status says what to fix.
 */
public final class ServedTopology {
    private static final Logger LOG = LoggerFactory.getLogger(ServedTopology.class);
    /** Oldest first; the name breaks ties between resources created in the same second. */
    static final Comparator<GenericKubernetesResource> SERVING_ORDER = Comparator
            .comparing((GenericKubernetesResource r) -> Objects.requireNonNullElse(r.getMetadata().getCreationTimestamp(), ""))
            .thenComparing(r -> r.getMetadata().getName());

    private final Registry registry;
    private final RenderOptions options;
    private String servedUid;
    private String servedGeneration;

    public ServedTopology(Registry registry, RenderOptions options) {
        this.registry = registry;
        this.options = options;
    }

    /**
     * The resource a namespace serves among {@code resources}: the one served now while it exists
     * (creation times have a resolution of one second, so a chain created in the same second as the
     * served one must not take its nodes by the name tie-break), else the oldest.
     */
    public synchronized Optional<GenericKubernetesResource> served(List<GenericKubernetesResource> resources) {
        List<GenericKubernetesResource> live = resources.stream().filter(r -> r.getMetadata().getDeletionTimestamp() == null).toList();
        Optional<GenericKubernetesResource> current = live.stream().filter(r -> r.getMetadata().getUid().equals(servedUid)).findFirst();
        return current.isPresent() ? current : live.stream().min(SERVING_ORDER);
    }

    /** Brings the registry to {@code resources}' served chain (none: an empty topology). */
    public synchronized void refresh(List<GenericKubernetesResource> resources) {
        Optional<GenericKubernetesResource> chosen = served(resources);
        if (chosen.isEmpty()) {
            if (servedUid != null || registry.state().version() == 0) {
                apply(null, "no ServiceChain");
                servedUid = null;
                servedGeneration = null;
            }
            return;
        }
        GenericKubernetesResource r = chosen.get();
        String generation = String.valueOf(r.getMetadata().getGeneration());
        if (r.getMetadata().getUid().equals(servedUid) && generation.equals(servedGeneration)) {
            return;
        }
        try {
            Topology served = ChainObjects.of(r, options).served();
            apply(served, ChainResource.key(r) + " generation " + generation);
            servedUid = r.getMetadata().getUid();
            servedGeneration = generation;
        } catch (ModelException | ApiException | IllegalArgumentException e) {
            LOG.warn("operator: {} is invalid, still serving version {}: {}", ChainResource.key(r), registry.state().version(), e.getMessage());
        } catch (RuntimeException e) {
            // Called from the informer's thread: whatever a resource holds must not stop the watch.
            LOG.error("operator: cannot serve {}, still serving version {}", ChainResource.key(r), registry.state().version(), e);
        }
    }

    /**
     * Checks {@code served} as the registry would store it (function configs included) without
     * storing it.
     *
     * @throws ApiException naming the field when the registry refuses it
     */
    public void check(Topology served) {
        registry.apply(ApplyDocument.of(served), true, true, null);
    }

    private void apply(Topology t, String what) {
        ApplyDocument doc = t == null
                ? new ApplyDocument(List.of(), List.of(), List.of(), null, null, null, true, true, true)
                : ApplyDocument.of(t);
        Registry.WriteResult result = registry.apply(doc, true, false, null);
        LOG.info("operator: serving {} as version {}", what, result.version());
    }
}
