package io.astaire.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.astaire.controller.NodeSecret;
import io.astaire.dataplane.config.ControllerTopologySource;
import io.astaire.dataplane.config.TopologySource;
import io.astaire.k8s.Names;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operator against fabric8's mock API server in CRUD mode, watches included: a ServiceChain
 * created, edited, deleted, invalid, and reconciled by an operator that restarted in between; and
 * the controller API the nodes watch serving what the ServiceChain says.
 */
class OperatorTest {
    private static final String NS = "sfc";
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final MockCluster cluster = new MockCluster();
    private final NamespacedKubernetesClient kubectl = cluster.client();
    private final NodeSecret nodeSecret = NodeSecret.random();
    private Operator operator;
    /** The clients the operators were started with: theirs to use, ours to close (the operator does not own them). */
    private final List<NamespacedKubernetesClient> operatorClients = new java.util.ArrayList<>();

    @AfterEach
    void stop() {
        if (operator != null) {
            operator.close();
        }
        // Every client before the server: the mock server's shutdown waits for open connections
        // (seen: "Unable to close MockWebServer" after 10 s when an operator's client was left open).
        operatorClients.forEach(NamespacedKubernetesClient::close);
        kubectl.close();
        cluster.close();
    }

    private Operator start(String identity) {
        Operator.Settings s = Operator.Settings.of(NS, identity, RenderOptions.defaults().withImage("astaire:test"), "127.0.0.1", 0, nodeSecret)
                .withElectionTiming(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(300));
        NamespacedKubernetesClient client = cluster.client();
        operatorClients.add(client);
        return Operator.start(client, s);
    }

    /**
     * What {@code kubectl apply} does for the user: create or update, again on a 409 (the operator's
     * status write may land between the read of the resource version and the update).
     */
    private GenericKubernetesResource apply(String yaml) {
        for (int attempt = 1; ; attempt++) {
            try {
                return kubectl.resource(MockCluster.chain(yaml)).inNamespace(NS).createOr(c -> c.update());
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    private GenericKubernetesResource chain(String name) {
        return kubectl.genericKubernetesResources(ServiceChainCrd.context()).inNamespace(NS).withName(name).get();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> condition(GenericKubernetesResource r, String type) {
        Map<String, Object> status = r == null ? null : (Map<String, Object>) r.getAdditionalProperties().get("status");
        return ChainStatus.condition(status, type);
    }

    private List<String> deployments() {
        return kubectl.apps().deployments().inNamespace(NS).list().getItems().stream().map(d -> d.getMetadata().getName()).sorted().toList();
    }

    @Test
    void aCreatedChainGetsItsDeploymentsAndServicesOwnedByItAndTurnsReady() {
        operator = start("op-0");
        await().atMost(WAIT).until(operator::isLeader);
        GenericKubernetesResource created = apply(Chains.web(NS));

        await().atMost(WAIT).untilAsserted(() -> assertThat(deployments())
                .containsExactly("web-acl", "web-count", "web-egress", "web-ingress"));
        String uid = chain("web").getMetadata().getUid();
        for (Class<? extends HasMetadata> kind : ChainObjects.KINDS) {
            for (HasMetadata o : kubectl.resources(kind).inNamespace(NS).list().getItems()) {
                assertThat(o.getMetadata().getOwnerReferences()).as(o.getKind() + "/" + o.getMetadata().getName()).singleElement()
                        .satisfies(ref -> {
                            assertThat(ref.getUid()).isEqualTo(uid);
                            assertThat(ref.getKind()).isEqualTo("ServiceChain");
                            assertThat(ref.getController()).isTrue();
                        });
                assertThat(o.getMetadata().getLabels()).containsEntry(ChainObjects.CHAIN_LABEL, "web");
            }
        }
        assertThat(kubectl.services().inNamespace(NS).list().getItems()).extracting(s -> s.getMetadata().getName())
                .containsExactlyInAnyOrder("web-acl", "web-count", "web-ingress", "web-egress", "web-controller");
        assertThat(kubectl.services().inNamespace(NS).withName("web-acl").get().getSpec().getClusterIP()).isEqualTo("None");
        Deployment count = kubectl.apps().deployments().inNamespace(NS).withName("web-count").get();
        assertThat(count.getSpec().getReplicas()).isEqualTo(3);
        assertThat(kubectl.policy().v1().podDisruptionBudget().inNamespace(NS).withName("web-count").get()).as("count runs 3 replicas")
                .isNotNull();
        assertThat(kubectl.network().v1().networkPolicies().inNamespace(NS).withName("web-functions").get()).isNotNull();
        // The nodes learn their chain from the operator's API for this chain, not from a file: web-controller
        // is a Service onto the operator's pods, and web-node-token holds the operator's node secret.
        assertThat(count.getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs())
                .containsSequence("--controller", "http://web-controller:" + Names.CONTROLLER_PORT + "/servicechains/web");
        assertThat(kubectl.services().inNamespace(NS).withName("web-controller").get().getSpec().getSelector())
                .isEqualTo(OperatorManifests.selector());
        assertThat(count.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv())
                .anySatisfy(e -> assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("web-node-token"));
        String copied = kubectl.secrets().inNamespace(NS).withName("web-node-token").get().getData().get(Names.TOKEN_KEY);
        assertThat(new String(Base64.getDecoder().decode(copied), StandardCharsets.UTF_8)).isEqualTo(nodeSecret.value());
        assertThat(cluster.serverSideApplies.get()).isGreaterThanOrEqualTo(8);

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(condition(chain("web"), "Reconciled")).containsEntry("status", "True").containsEntry("reason", "Applied");
            assertThat(condition(chain("web"), "Ready")).containsEntry("status", "False").containsEntry("reason", "Progressing");
        });
        MockCluster.markAvailable(kubectl, NS);
        await().atMost(WAIT).untilAsserted(() -> {
            GenericKubernetesResource r = chain("web");
            assertThat(condition(r, "Ready")).containsEntry("status", "True").containsEntry("reason", "Available");
            assertThat(((Map<?, ?>) r.getAdditionalProperties().get("status")).get("observedGeneration"))
                    .isEqualTo(created.getMetadata().getGeneration().intValue());
        });
    }

    @Test
    void theControllerApiServesTheChainTheResourceDeclaresToARealNodeWatch() throws Exception {
        operator = start("op-0");
        apply(Chains.web(NS));
        // The chain's own API on the operator, the URL its rendered nodes are given.
        URI api = URI.create(operator.server().localUri() + "/servicechains/web");
        try (ControllerTopologySource node = new ControllerTopologySource(api, WAIT, Duration.ofSeconds(5))) {
            await().atMost(WAIT).until(() -> node.current().topology().function("acl") != null);
            Topology seen = node.current().topology();
            assertThat(seen.function("acl").address().toString()).isEqualTo("web-acl." + NS + ".svc.cluster.local:4791");
            assertThat(seen.function("count").replicas()).isEqualTo(3);
            assertThat(seen.chain("web").spi()).isEqualTo(10);
            assertThat(seen.chain("web").functions()).containsExactly("acl", "count");
            assertThat(seen.egress().address().toString()).isEqualTo("web-egress." + NS + ".svc.cluster.local:4794");
            assertThat(seen.orderedRules()).extracting(r -> r.name()).containsExactly("to-servers");

            // An edit of the resource reaches the watching node as a new version.
            AtomicReference<TopologySource.Versioned> pushed = new AtomicReference<>();
            node.subscribe(pushed::set);
            apply(Chains.webEdited(NS));
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(pushed.get()).isNotNull();
                assertThat(pushed.get().topology().chain("web").functions()).containsExactly("acl", "nat");
            });
        }

        HttpClient http = HttpClient.newHttpClient();
        // A node reports with its own token, and describe (GET /nodes) shows it, as on one machine.
        String report = "{\"role\":\"sf\",\"functions\":[\"acl\"],\"appliedVersion\":" + operator.registry("web").state().version() + "}";
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/nodes/acl-0/status"))
                .header("Authorization", "Bearer " + nodeSecret.tokenFor("acl-0").substring("acl-0:".length()))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(report)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(200);
        JsonNode nodes = TopologyCodec.jsonMapper().readTree(http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/nodes")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertThat(nodes.findValuesAsText("name")).contains("acl-0");

        // Configuration writes go to the API server, not here.
        HttpResponse<String> write = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/apply"))
                .header("Authorization", "Bearer anything").POST(HttpRequest.BodyPublishers.ofString("functions: []")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(write.statusCode()).isEqualTo(405);
        assertThat(write.body()).contains("kubectl apply");
    }

    @Test
    void anEditChangesTheObjectsAndDeletingTheResourceDeletesThem() {
        // Every status the operator writes, as it logs it: the pass that deletes the objects an edit
        // dropped says so, and a re-sync of the same generation a moment later (an owned object's
        // event) rightly writes "applied N objects" again, so the live condition alone cannot be
        // relied on to still show the deletion (seen in a clean-clone CI run).
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Reconciler.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> statuses = new ch.qos.logback.core.read.ListAppender<>();
        statuses.start();
        log.addAppender(statuses);
        try {
            editAndDelete(statuses);
        } finally {
            log.detachAppender(statuses);
        }
    }

    private void editAndDelete(ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> statuses) {
        operator = start("op-0");
        apply(Chains.web(NS));
        await().atMost(WAIT).untilAsserted(() -> assertThat(deployments()).contains("web-count"));

        apply(Chains.webEdited(NS));
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(deployments()).containsExactly("web-acl", "web-egress", "web-ingress", "web-nat");
            assertThat(kubectl.apps().deployments().inNamespace(NS).withName("web-acl").get().getSpec().getReplicas()).isEqualTo(2);
            assertThat(kubectl.services().inNamespace(NS).withName("web-count").get()).isNull();
            assertThat(kubectl.policy().v1().podDisruptionBudget().inNamespace(NS).withName("web-count").get()).isNull();
            // acl now runs two replicas: it gets a disruption budget.
            assertThat(kubectl.policy().v1().podDisruptionBudget().inNamespace(NS).withName("web-acl").get()).isNotNull();
            assertThat(condition(chain("web"), "Reconciled")).containsEntry("status", "True")
                    .hasEntrySatisfying("message", m -> assertThat((String) m).startsWith("applied "));
            assertThat(List.copyOf(statuses.list)).extracting(e -> e.getFormattedMessage())
                    .as("the status written when the edit's leftovers were deleted")
                    .anySatisfy(m -> assertThat(m).contains("ServiceChain " + NS + "/web generation 2:")
                            .contains("deleted 3 no longer in the spec"));
        });
        assertThat(Chains.served(operator, "web").function("nat")).isNotNull();

        kubectl.genericKubernetesResources(ServiceChainCrd.context()).inNamespace(NS).withName("web").delete();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(deployments()).isEmpty();
            assertThat(kubectl.services().inNamespace(NS).list().getItems()).isEmpty();
            for (Class<? extends HasMetadata> kind : ChainObjects.KINDS) {
                assertThat(kubectl.resources(kind).inNamespace(NS).withLabel(ChainObjects.CHAIN_LABEL).list().getItems())
                        .as(kind.getSimpleName()).isEmpty();
            }
            // Its nodes' API is no longer served.
            assertThat(operator.registry("web")).isNull();
            assertThat(operator.server().serviceChains()).isEmpty();
        });
    }

    @Test
    void anInvalidResourceNamesTheFieldInItsStatusAndNothingIsApplied() {
        operator = start("op-0");
        apply(Chains.web(NS).replace("functions: [acl, count]", "functions: [acl, counter]"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(condition(chain("web"), "Reconciled"))
                .containsEntry("status", "False").containsEntry("reason", "InvalidSpec")
                .hasEntrySatisfying("message", m -> assertThat((String) m)
                        .contains("spec.chains[0].functions[1]").contains("'counter' is not a declared function")));
        assertThat(condition(chain("web"), "Ready")).containsEntry("status", "False");
        assertThat(deployments()).isEmpty();
        assertThat(cluster.serverSideApplies.get()).isZero();

        // A function config the function kind refuses is caught by the registry's check, before anything is applied.
        apply(Chains.web(NS).replace("config: {default: allow}", "config: {default: maybe}"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(condition(chain("web"), "Reconciled"))
                .containsEntry("reason", "InvalidSpec")
                .hasEntrySatisfying("message", m -> assertThat((String) m).contains("spec.").contains("default")));
        assertThat(deployments()).isEmpty();

        apply(Chains.web(NS));
        await().atMost(WAIT).untilAsserted(() -> assertThat(deployments()).contains("web-acl", "web-count"));
    }

    @Test
    void anOperatorStartedAgainConvergesWhatChangedWhileItWasDown() {
        operator = start("op-0");
        apply(Chains.web(NS));
        await().atMost(WAIT).untilAsserted(() -> assertThat(condition(chain("web"), "Reconciled")).containsEntry("status", "True"));
        operator.close();
        operator = null;

        // While no operator runs: the chain is edited, someone deletes a Deployment, and a chain
        // is deleted whose objects the garbage collector has not removed yet.
        apply(Chains.webEdited(NS));
        kubectl.apps().deployments().inNamespace(NS).withName("web-ingress").delete();
        long generation = chain("web").getMetadata().getGeneration();

        operator = start("op-1");
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(deployments()).containsExactly("web-acl", "web-egress", "web-ingress", "web-nat");
            assertThat(((Map<?, ?>) chain("web").getAdditionalProperties().get("status")).get("observedGeneration"))
                    .isEqualTo((int) generation);
        });
        assertThat(Chains.served(operator, "web").chain("web").functions()).containsExactly("acl", "nat");

        operator.close();
        kubectl.genericKubernetesResources(ServiceChainCrd.context()).inNamespace(NS).withName("web").delete();
        operator = start("op-2");
        await().atMost(WAIT).untilAsserted(() -> assertThat(deployments()).isEmpty());
    }

    @Test
    void twoChainsInOneNamespaceEachGetTheirObjectsAndTheirNodesTheirOwnTopology() throws Exception {
        operator = start("op-0");
        apply(Chains.web(NS));
        // A second chain in the same namespace, with a function of the same name and its own SPI.
        apply(Chains.web(NS).replace("name: web, namespace", "name: shop, namespace")
                .replace("- {name: web, spi: 10, functions: [acl, count]}", "- {name: shop, spi: 20, functions: [acl]}")
                .replace("chain: web}", "chain: shop}").replace("{name: count, kind: counter, port: 4792, replicas: 3}",
                        "{name: count, kind: counter, port: 4792}"));
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(deployments()).contains("web-acl", "web-count", "web-ingress", "shop-acl", "shop-count", "shop-ingress");
            assertThat(condition(chain("web"), "Reconciled")).containsEntry("status", "True");
            assertThat(condition(chain("shop"), "Reconciled")).containsEntry("status", "True");
        });
        assertThat(kubectl.services().inNamespace(NS).withName("shop-controller").get()).isNotNull();
        assertThat(kubectl.services().inNamespace(NS).withName("web-controller").get()).isNotNull();

        // Each chain's nodes, watching their own URL on the one operator, see their own chain only.
        URI base = operator.server().localUri();
        try (ControllerTopologySource web = new ControllerTopologySource(URI.create(base + "/servicechains/web"), WAIT, Duration.ofSeconds(5));
             ControllerTopologySource shop = new ControllerTopologySource(URI.create(base + "/servicechains/shop"), WAIT, Duration.ofSeconds(5))) {
            await().atMost(WAIT).until(() -> web.current().topology().chain("web") != null && shop.current().topology().chain("shop") != null);
            assertThat(web.current().topology().chains()).extracting(c -> c.name() + ":" + c.spi()).containsExactly("web:10");
            assertThat(shop.current().topology().chains()).extracting(c -> c.name() + ":" + c.spi()).containsExactly("shop:20");
            assertThat(web.current().topology().function("acl").address().toString()).startsWith("web-acl.");
            assertThat(shop.current().topology().function("acl").address().toString()).startsWith("shop-acl.");
            assertThat(web.current().topology().function("count").replicas()).isEqualTo(3);
            assertThat(shop.current().topology().function("count").replicas()).isEqualTo(1);

            // Editing one chain reaches its nodes and leaves the other's version alone.
            long shopVersion = shop.current().version();
            AtomicReference<TopologySource.Versioned> pushed = new AtomicReference<>();
            web.subscribe(pushed::set);
            apply(Chains.webEdited(NS));
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(pushed.get()).isNotNull();
                assertThat(pushed.get().topology().chain("web").functions()).containsExactly("acl", "nat");
            });
            assertThat(shop.current().version()).isEqualTo(shopVersion);
        }

        // Deleting one removes its objects and its API; the other keeps running.
        kubectl.genericKubernetesResources(ServiceChainCrd.context()).inNamespace(NS).withName("web").delete();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(deployments()).containsExactly("shop-acl", "shop-count", "shop-egress", "shop-ingress");
            assertThat(operator.server().serviceChains()).containsExactly("shop");
        });
        assertThat(Chains.served(operator, "shop").chain("shop")).isNotNull();
    }
}
