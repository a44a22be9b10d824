package io.astaire.operator;

import io.astaire.controller.ApiException;
import io.astaire.controller.ApplyDocument;
import io.astaire.controller.ControllerServer;
import io.astaire.controller.MemoryTopologyStore;
import io.astaire.controller.Registry;
import io.astaire.controller.ServedRegistry;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.ModelException;
import io.astaire.model.Topology;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps what the controller's HTTP API serves equal to what the ServiceChains say: one registry
 * per ServiceChain, served at {@code /servicechains/<name>/api/v1}, where that chain's nodes watch
 * and report. Every replica runs it (all of them serve reads); it writes nothing to the API
 * server. An invalid spec leaves the last valid topology served: running nodes keep their chain
 * while the status says what to fix. A ServiceChain that goes (or is being deleted) stops being
 * served; one created again under the same name is served again, with new version numbers.
 */
public final class ServedChains {
    private static final Logger LOG = LoggerFactory.getLogger(ServedChains.class);

    /** What is served for one ServiceChain, and which generation of which resource it came from. */
    private static final class Served {
        final ServedRegistry api;
        String uid;
        String generation;

        Served(ServedRegistry api) {
            this.api = api;
        }
    }

    private final ControllerServer server;
    private final RenderOptions options;
    private final String namespace;
    private final Duration switchTimeout;
    private final Map<String, Served> byName = new HashMap<>();
    /** Where specs are checked as the registry would store them: a dry run, so it never holds anything. */
    private final Registry checker;

    public ServedChains(ControllerServer server, RenderOptions options, String namespace, Duration switchTimeout) {
        this.server = server;
        this.options = options;
        this.namespace = namespace;
        this.switchTimeout = switchTimeout;
        this.checker = new Registry(new MemoryTopologyStore("spec check"));
    }

    /** Serves every live ServiceChain of {@code resources} at its generation, and stops serving the others. */
    public synchronized void refresh(List<GenericKubernetesResource> resources) {
        Set<String> live = new HashSet<>();
        for (GenericKubernetesResource r : resources) {
            if (r.getMetadata().getDeletionTimestamp() == null) {
                live.add(r.getMetadata().getName());
                refresh(r);
            }
        }
        for (String name : List.copyOf(byName.keySet())) {
            if (!live.contains(name)) {
                byName.remove(name);
                server.unserve(name);
                LOG.info("operator: ServiceChain {}/{} is gone: its nodes' API is no longer served", namespace, name);
            }
        }
    }

    private void refresh(GenericKubernetesResource r) {
        String name = r.getMetadata().getName();
        Served s = byName.get(name);
        if (s == null) {
            ServedRegistry api = server.serve(name, new Registry(new MemoryTopologyStore("ServiceChain " + namespace + "/" + name
                    + " (Kubernetes API)")));
            api.readiness().switchTimeout(switchTimeout);
            s = new Served(api);
            byName.put(name, s);
        }
        String generation = String.valueOf(r.getMetadata().getGeneration());
        if (r.getMetadata().getUid().equals(s.uid) && generation.equals(s.generation)) {
            return;
        }
        Registry registry = s.api.registry();
        try {
            Topology served = ChainObjects.of(r, options).served();
            Registry.WriteResult result = registry.apply(ApplyDocument.of(served), true, false, null);
            LOG.info("operator: serving {} generation {} as version {}", ChainResource.key(r), generation, result.version());
            s.uid = r.getMetadata().getUid();
            s.generation = generation;
        } catch (ModelException | ApiException | IllegalArgumentException e) {
            LOG.warn("operator: {} is invalid, still serving version {}: {}", ChainResource.key(r), registry.state().version(), e.getMessage());
        } catch (RuntimeException e) {
            // Called from the informer's thread: whatever a resource holds must not stop the watch.
            LOG.error("operator: cannot serve {}, still serving version {}", ChainResource.key(r), registry.state().version(), e);
        }
    }

    /** ServiceChain {@code name}'s registry as served now, or null when it is not served. */
    public synchronized Registry registry(String name) {
        Served s = byName.get(name);
        return s == null ? null : s.api.registry();
    }

    /**
     * Checks {@code served} as the registry would store it (function configs included) without
     * storing it.
     *
     * @throws ApiException naming the field when the registry refuses it
     */
    public void check(Topology served) {
        synchronized (checker) {
            checker.apply(ApplyDocument.of(served), true, true, null);
        }
    }
}
