package io.astaire.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The test API server itself: a client that goes away while events stream to its watches must
 * not stall anyone else's requests, nor leave a write unanswered.
 */
class MockClusterTest {
    @Test
    void closingAClientWhoseWatchesHaveEventsInFlightLeavesTheServerAnsweringReadsAndWrites() throws Exception {
        try (MockCluster cluster = new MockCluster(); NamespacedKubernetesClient writer = cluster.client(); NamespacedKubernetesClient reader = cluster.client()) {
            writer.configMaps().inNamespace("sfc").resource(configMap(0)).create();
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicReference<RuntimeException> writeFailed = new AtomicReference<>();
            AtomicInteger writes = new AtomicInteger();
            Thread churn = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 1; writing.get(); i++) {
                        writer.configMaps().inNamespace("sfc").resource(configMap(i)).update();
                        writes.incrementAndGet();
                    }
                } catch (RuntimeException e) {
                    writeFailed.set(e);
                }
            });
            try {
                Duration slowest = Duration.ZERO;
                for (int round = 0; round < 30; round++) {
                    NamespacedKubernetesClient watching = cluster.client();
                    List<AutoCloseable> watches = new ArrayList<>();
                    for (int w = 0; w < 4; w++) {
                        watches.add(watching.configMaps().inNamespace("sfc").watch(new Watcher<>() {
                            @Override
                            public void eventReceived(Action action, ConfigMap resource) {}

                            @Override
                            public void onClose(WatcherException cause) {}
                        }));
                    }
                    Thread.sleep(20);
                    watching.close();
                    long start = System.nanoTime();
                    assertThat(reader.configMaps().inNamespace("sfc").withName("churn").get()).isNotNull();
                    Duration took = Duration.ofNanos(System.nanoTime() - start);
                    slowest = took.compareTo(slowest) > 0 ? took : slowest;
                }
                System.out.println("slowest GET after a close: " + slowest.toMillis() + " ms");
                assertThat(slowest).isLessThan(Duration.ofSeconds(5));
            } finally {
                writing.set(false);
                churn.join();
            }
            // Every write meanwhile was answered: none was handed to a watch that was stopping.
            assertThat(writeFailed.get()).isNull();
            assertThat(writes.get()).isPositive();
        }
    }

    private static ConfigMap configMap(int generation) {
        return new ConfigMapBuilder().withNewMetadata().withName("churn").withNamespace("sfc").endMetadata()
                .addToData("generation", Integer.toString(generation)).build();
    }
}
