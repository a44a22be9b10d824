package io.astaire.operator;

import io.astaire.controller.ControllerServer;
import io.astaire.controller.NodeRegistry;
import io.astaire.controller.NodeSecret;
import io.astaire.controller.PathReadiness;
import io.astaire.controller.Registry;
import io.astaire.k8s.RenderOptions;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller with the Kubernetes API server as its store, for one namespace. Every replica
 * watches the ServiceChains (an informer) and serves each one's topology on the controller's
 * HTTP API at {@code /servicechains/<name>/api/v1}, so each chain's nodes watch it and report to
 * it as they would to the SQLite controller; the API takes no configuration writes
 * ({@code kubectl apply} is the interface).
 * One replica at a time, the holder of a {@code Lease}, reconciles: it applies the objects each
 * ServiceChain renders and writes its status. When the leader stops renewing the lease another
 * replica takes it after {@link Settings#leaseDuration()} and reconciles everything once.
 */
public final class Operator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Operator.class);

    /**
     * How an operator replica runs.
     *
     * @param namespace the namespace whose ServiceChains it runs (and where its Lease lives)
     * @param identity this replica's name in the Lease (the pod's name)
     * @param leaseName the Lease the replicas compete for
     * @param render the image and edge options every chain is rendered with
     * @param resync how often every ServiceChain is reconciled even without an event
     * @param switchTimeout how long each chain's edges wait for slow nodes before they switch to a new version anyway
     * @param webhook where the pod injection webhook listens, and its certificate; null: no webhook
     */
    public record Settings(String namespace, String identity, String leaseName, Duration leaseDuration, Duration renewDeadline,
                           Duration retryPeriod, Duration resync, RenderOptions render, String host, int port,
                           NodeSecret nodeSecret, NodeRegistry.Limits limits, Duration switchTimeout, Webhook webhook) {
        public static final String DEFAULT_LEASE = "astaire-operator";

        public Settings {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(identity, "identity");
            if (renewDeadline.compareTo(leaseDuration) >= 0 || retryPeriod.compareTo(renewDeadline) >= 0) {
                throw new IllegalArgumentException("leader election needs retry period < renew deadline < lease duration, was "
                        + retryPeriod + " / " + renewDeadline + " / " + leaseDuration);
            }
        }

        /** Kubernetes' own controllers' timing: 15 s lease, 10 s to renew, 2 s between tries. */
        public static Settings of(String namespace, String identity, RenderOptions render, String host, int port, NodeSecret nodeSecret) {
            return new Settings(namespace, identity, DEFAULT_LEASE, Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2),
                    Duration.ofMinutes(5), render, host, port, nodeSecret, NodeRegistry.Limits.DEFAULT, PathReadiness.DEFAULT_SWITCH_TIMEOUT, null);
        }

        public Settings withElectionTiming(Duration lease, Duration renew, Duration retry) {
            return new Settings(namespace, identity, leaseName, lease, renew, retry, resync, render, host, port, nodeSecret, limits,
                    switchTimeout, webhook);
        }

        public Settings withLease(String name) {
            return new Settings(namespace, identity, name, leaseDuration, renewDeadline, retryPeriod, resync, render, host, port, nodeSecret,
                    limits, switchTimeout, webhook);
        }

        public Settings withLimits(NodeRegistry.Limits l) {
            return new Settings(namespace, identity, leaseName, leaseDuration, renewDeadline, retryPeriod, resync, render, host, port,
                    nodeSecret, l, switchTimeout, webhook);
        }

        public Settings withSwitchTimeout(Duration timeout) {
            return new Settings(namespace, identity, leaseName, leaseDuration, renewDeadline, retryPeriod, resync, render, host, port,
                    nodeSecret, limits, timeout, webhook);
        }

        public Settings withWebhook(Webhook w) {
            return new Settings(namespace, identity, leaseName, leaseDuration, renewDeadline, retryPeriod, resync, render, host, port,
                    nodeSecret, limits, switchTimeout, w);
        }
    }

    /**
     * The pod injection webhook's listener and TLS files ({@link PodInjectionWebhook}).
     *
     * @param certificate PEM, the certificate first, then its chain
     * @param key PEM, PKCS#8
     */
    public record Webhook(String host, int port, java.nio.file.Path certificate, java.nio.file.Path key) {
        public static final int DEFAULT_PORT = 8443;

        public Webhook {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
        }
    }

    private final KubernetesClient client;
    private final Settings settings;
    private volatile PodInjectionWebhook webhook;
    private final ServedChains served;
    private final ControllerServer server;
    private final Reconciler reconciler;
    private final WorkQueue queue;
    private final AtomicBoolean leader = new AtomicBoolean();
    private volatile boolean closing;
    private volatile CompletableFuture<?> election;
    private SharedIndexInformer<GenericKubernetesResource> chains;
    private SharedIndexInformer<Deployment> deployments;

    private Operator(KubernetesClient client, Settings settings) {
        this.client = client;
        this.settings = settings;
        this.server = ControllerServer.startReadOnly(settings.nodeSecret(), settings.limits(), settings.host(), settings.port(),
                "in the operator mode the chain is a ServiceChain resource: change it with kubectl apply -f servicechain.yaml "
                        + "(namespace " + settings.namespace() + "); astaire apply is for the SQLite controller");
        this.served = new ServedChains(server, settings.render(), settings.namespace(), settings.switchTimeout());
        this.reconciler = new Reconciler(client, settings.namespace(), settings.render(), served, settings.nodeSecret());
        this.queue = new WorkQueue("astaire-reconcile", this::reconcileIfLeading, settings.retryPeriod());
    }

    /** Starts the HTTP API, the informers and the election; returns once the informers have synced. */
    public static Operator start(KubernetesClient client, Settings settings) {
        Operator op = new Operator(client, settings);
        try {
            // The certificate is checked before anything is asked of the API server: a file that cannot be used fails the start, naming it.
            javax.net.ssl.SSLContext tls = settings.webhook() == null ? null
                    : PemKeyStore.serverContext(settings.webhook().certificate(), settings.webhook().key());
            op.startInformers();
            // After the informers synced: a webhook that answered before would refuse pods of chains it has not seen yet.
            op.startWebhook(tls);
            op.elect();
            return op;
        } catch (RuntimeException e) {
            op.close();
            throw e;
        }
    }

    private void startInformers() {
        chains = client.genericKubernetesResources(ServiceChainCrd.context()).inNamespace(settings.namespace())
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(GenericKubernetesResource r) {
                        changed(r);
                    }

                    @Override
                    public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource r) {
                        changed(r);
                    }

                    @Override
                    public void onDelete(GenericKubernetesResource r, boolean unknownFinalState) {
                        changed(r);
                    }
                }, settings.resync().toMillis());
        deployments = client.apps().deployments().inNamespace(settings.namespace()).withLabel(ChainObjects.CHAIN_LABEL)
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Deployment d) {
                        owned(d);
                    }

                    @Override
                    public void onUpdate(Deployment old, Deployment d) {
                        owned(d);
                    }

                    @Override
                    public void onDelete(Deployment d, boolean unknownFinalState) {
                        owned(d);
                    }
                }, 0);
        served.refresh(cachedChains());
        LOG.info("operator {}: watching ServiceChains in namespace {} ({} found)", settings.identity(), settings.namespace(),
                cachedChains().size());
    }

    private void startWebhook(javax.net.ssl.SSLContext tls) {
        Webhook w = settings.webhook();
        if (w == null) {
            return;
        }
        PodInjectionWebhook.Source source = new PodInjectionWebhook.Source(settings.namespace(), settings.render().image(),
                name -> {
                    Registry r = served.registry(name);
                    return r == null ? null : r.state().topology();
                }, server::serviceChains);
        try {
            webhook = PodInjectionWebhook.start(source, tls, w.host(), w.port());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("--webhook-listen " + w.host() + ":" + w.port() + ": cannot listen: " + e.getMessage(), e);
        }
    }

    /** The injection webhook's port, or -1 without one. */
    public int webhookPort() {
        PodInjectionWebhook w = webhook;
        return w == null ? -1 : w.port();
    }

    private void changed(GenericKubernetesResource r) {
        served.refresh(cachedChains());
        queue.add(r.getMetadata().getName());
    }

    private void owned(HasMetadata o) {
        String chain = o.getMetadata().getLabels() == null ? null : o.getMetadata().getLabels().get(ChainObjects.CHAIN_LABEL);
        if (chain != null) {
            queue.add(chain);
        }
    }

    private List<GenericKubernetesResource> cachedChains() {
        return chains == null ? List.of() : chains.getStore().list();
    }

    private void reconcileIfLeading(String name) {
        if (leader.get() && !closing) {
            reconciler.reconcile(name);
        }
    }

    // ---- leader election

    private void elect() {
        if (closing) {
            return;
        }
        var config = new LeaderElectionConfigBuilder()
                .withName("astaire-operator")
                .withLock(new LeaseLock(settings.namespace(), settings.leaseName(), settings.identity()))
                .withLeaseDuration(settings.leaseDuration())
                .withRenewDeadline(settings.renewDeadline())
                .withRetryPeriod(settings.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(this::startedLeading, this::stoppedLeading,
                        who -> LOG.info("operator {}: the leader is {}", settings.identity(), who)))
                .build();
        CompletableFuture<?> running = client.leaderElector().withConfig(config).build().start();
        election = running;
        running.whenComplete((ok, failure) -> {
            if (!closing) {
                // Leadership lost (or the election failed): stand again, as a follower that serves reads meanwhile.
                LOG.warn("operator {}: left the election{}; standing again", settings.identity(),
                        failure == null ? "" : " (" + failure + ")");
                CompletableFuture.delayedExecutor(settings.retryPeriod().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                        .execute(this::elect);
            }
        });
    }

    private void startedLeading() {
        leader.set(true);
        LOG.info("operator {}: leading; reconciling every ServiceChain in {}", settings.identity(), settings.namespace());
        for (GenericKubernetesResource r : cachedChains()) {
            queue.add(r.getMetadata().getName());
        }
        // Chains deleted while no one led still have objects: their names come from the objects' labels.
        try {
            reconciler.chainsWithObjects().forEach(queue::add);
        } catch (RuntimeException e) {
            LOG.warn("operator {}: cannot list the chains' Deployments yet: {}", settings.identity(), e.toString());
        }
    }

    private void stoppedLeading() {
        leader.set(false);
        LOG.info("operator {}: no longer leading; serving reads only", settings.identity());
    }

    public boolean isLeader() {
        return leader.get();
    }

    public ControllerServer server() {
        return server;
    }

    /** ServiceChain {@code name}'s topology as this replica serves it, or null when it serves none of that name. */
    public Registry registry(String name) {
        return served.registry(name);
    }

    public Settings settings() {
        return settings;
    }

    /** Stops reconciling, releases the lease (another replica takes over at once), stops serving. */
    @Override
    public void close() {
        closing = true;
        CompletableFuture<?> e = election;
        if (e != null) {
            e.cancel(true);
        }
        leader.set(false);
        queue.close();
        if (chains != null) {
            chains.close();
        }
        if (deployments != null) {
            deployments.close();
        }
        if (webhook != null) {
            webhook.close();
        }
        server.close();
    }
}
