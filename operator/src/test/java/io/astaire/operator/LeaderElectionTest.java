package io.astaire.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.controller.NodeSecret;
import io.astaire.k8s.RenderOptions;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two operator replicas on one namespace, each with its own connection to the API server: one
 * holds the Lease and reconciles, both serve the chain to the nodes; when the leader dies
 * without releasing the Lease (its connection cut, as when its pod's node goes away), the other
 * takes the Lease once it expires and reconciles what changed meanwhile.
 */
class LeaderElectionTest {
    private static final String NS = "sfc";
    private static final Duration LEASE = Duration.ofSeconds(3);

    private final MockCluster cluster = new MockCluster();
    private final NamespacedKubernetesClient kubectl = cluster.client();
    private final NodeSecret nodeSecret = NodeSecret.random();
    private final NamespacedKubernetesClient clientA = cluster.client();
    private final NamespacedKubernetesClient clientB = cluster.client();
    private Operator a;
    private Operator b;

    @AfterEach
    void stop() {
        Stream.of(a, b).filter(o -> o != null).forEach(Operator::close);
        Stream.of(clientA, clientB, kubectl).forEach(NamespacedKubernetesClient::close);
        cluster.close();
    }

    private Operator start(NamespacedKubernetesClient client, String identity) {
        return Operator.start(client, Operator.Settings.of(NS, identity, RenderOptions.defaults(), "127.0.0.1", 0, nodeSecret)
                .withElectionTiming(LEASE, Duration.ofSeconds(2), Duration.ofMillis(300)));
    }

    private String holder() {
        Lease lease = kubectl.leases().inNamespace(NS).withName(Operator.Settings.DEFAULT_LEASE).get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    private List<String> deployments() {
        return kubectl.apps().deployments().inNamespace(NS).list().getItems().stream().map(d -> d.getMetadata().getName()).sorted().toList();
    }

    @Test
    @SuppressWarnings("unchecked")
    void oneReplicaLeadsBothServeAndTheOtherTakesOverWhenTheLeaderDies() {
        a = start(clientA, "operator-a");
        b = start(clientB, "operator-b");
        await().atMost(Duration.ofSeconds(30)).until(() -> a.isLeader() || b.isLeader());
        Operator leader = a.isLeader() ? a : b;
        Operator follower = leader == a ? b : a;
        NamespacedKubernetesClient leadersClient = leader == a ? clientA : clientB;
        assertThat(follower.isLeader()).isFalse();
        assertThat(holder()).isEqualTo(leader.settings().identity());

        kubectl.resource(MockCluster.chain(Chains.web(NS))).inNamespace(NS).create();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(deployments()).contains("web-acl", "web-count"));
        // Both replicas serve the chain: a node may reach either through the controller's Service.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(Chains.served(a, "web").chain("web")).isNotNull();
            assertThat(Chains.served(b, "web").chain("web")).isNotNull();
        });
        assertThat(follower.isLeader()).isFalse();

        // The leader dies: no more requests from it, the Lease is not released.
        long killedAt = System.nanoTime();
        leadersClient.close();
        kubectl.resource(MockCluster.chain(Chains.webEdited(NS))).inNamespace(NS).update();

        // Until the Lease expires no one reconciles the edit: the follower serves reads only.
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(2))
                .until(() -> follower.isLeader() || (deployments().contains("web-count") && !deployments().contains("web-nat")));
        await().atMost(Duration.ofSeconds(60)).until(follower::isLeader);
        Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
        assertThat(holder()).isEqualTo(follower.settings().identity());
        // It waited for the Lease to expire: the dead leader never released it.
        assertThat(takeover).isGreaterThanOrEqualTo(LEASE.minusMillis(500));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(deployments()).containsExactly("web-acl", "web-egress", "web-ingress", "web-nat");
            assertThat(Chains.served(follower, "web").chain("web").functions()).containsExactly("acl", "nat");
            Map<String, Object> reconciled = ChainStatus.condition(
                    (Map<String, Object>) kubectl.genericKubernetesResources(ServiceChainCrd.context()).inNamespace(NS).withName("web").get()
                            .getAdditionalProperties().get("status"), ChainStatus.RECONCILED);
            assertThat(reconciled).containsEntry("status", "True");
        });
    }

    @Test
    void aLeaderThatStopsCleanlyHandsOverWithoutWaitingForTheLease() {
        a = start(clientA, "operator-a");
        await().atMost(Duration.ofSeconds(30)).until(a::isLeader);
        b = start(clientB, "operator-b");
        assertThat(b.isLeader()).isFalse();
        a.close();
        a = null;
        await().atMost(Duration.ofSeconds(30)).until(b::isLeader);
        assertThat(holder()).isEqualTo("operator-b");
    }
}
