package io.astaire.dataplane.counters;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The counters model: dense ids, single-writer stripes summed exactly, /metrics from descriptors. */
@Timeout(30)
class StripedCountersTest {

    @Test
    void writersOnTheirOwnStripesLoseNothingWhileAReaderSums() throws Exception {
        CounterLayout.Builder b = CounterLayout.builder();
        int packets = b.counter("test.packets", "packets");
        int bytes = b.counter("test.bytes", "bytes");
        StripedCounters counters = new StripedCounters(b.build(), 4);
        long seed = 20261203L;
        long[] expectedBytes = new long[1];
        int perWriter = 200_000;
        List<Thread> writers = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int w = 0; w < 4; w++) {
            CounterStripe stripe = counters.stripe(w);
            Random random = new Random(seed + w);
            long[] lengths = new long[perWriter];
            for (int i = 0; i < perWriter; i++) {
                lengths[i] = 64 + random.nextInt(1400);
                expectedBytes[0] += lengths[i];
            }
            writers.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (long length : lengths) {
                    stripe.add(packets, 1);
                    stripe.add(bytes, length);
                }
            }));
        }
        go.countDown();
        long last = 0;
        while (writers.stream().anyMatch(Thread::isAlive)) {
            long now = counters.sum(packets);
            assertThat(now).as("a sum never goes back").isGreaterThanOrEqualTo(last);
            last = now;
        }
        for (Thread t : writers) {
            t.join();
        }
        assertThat(counters.sum(packets)).isEqualTo(4L * perWriter);
        assertThat(counters.sum(bytes)).isEqualTo(expectedBytes[0]);
    }

    @Test
    void metricsAreRenderedFromTheDescriptorsWithTheirLabels() {
        CounterLayout.Builder b = CounterLayout.builder();
        int dropped = b.counter("test.dropped.packets", "drops", "reason", "ttl_expired");
        int hidden = b.hidden("scratch");
        int other = b.counter("test.dropped.packets", "drops", "reason", "no_route");
        CounterLayout layout = b.build();
        assertThat(List.of(dropped, hidden, other)).containsExactly(0, 1, 2);
        assertThat(layout.descriptor(other).label("reason")).isEqualTo("no_route");
        StripedCounters counters = new StripedCounters(layout, 2);
        counters.stripe(0).add(dropped, 3);
        counters.stripe(1).add(dropped, 4);
        counters.stripe(1).add(hidden, 99);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        CounterMeters.register(registry, counters, Tags.of("role", "test"));
        String text = registry.scrape();
        assertThat(text).contains("test_dropped_packets_total{reason=\"ttl_expired\",role=\"test\"} 7.0")
                .contains("test_dropped_packets_total{reason=\"no_route\",role=\"test\"} 0.0")
                .doesNotContain("scratch").doesNotContain("99");
    }

    @Test
    void everyDropReasonHappensSomewhereAndLabelsAreUnique() {
        assertThat(java.util.Arrays.stream(DropReason.values()).map(DropReason::label).distinct().count())
                .isEqualTo(DropReason.values().length);
        for (DropReason r : DropReason.values()) {
            assertThat(r.atNode() || r.atEdge()).as(r.label()).isTrue();
        }
    }
}
