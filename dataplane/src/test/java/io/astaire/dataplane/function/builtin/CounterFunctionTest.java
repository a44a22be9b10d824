package io.astaire.dataplane.function.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.dataplane.function.Allocations;
import io.astaire.dataplane.function.Scrape;
import io.astaire.dataplane.function.TestPacket;
import io.astaire.function.PacketContext;
import io.astaire.function.Verdict;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CounterFunctionTest {

    private final PrometheusMeterRegistry meters = Configs.registry();

    private CounterFunction counter(String yaml) {
        return Configs.configure(new CounterFunction(), "count", yaml, meters);
    }

    private double sample(String name, String key, String value) {
        return Scrape.value(meters, name, Map.of("function", "count", key, value));
    }

    @Test
    void countsPacketsAndBytesPerChainAndPerFlow() {
        CounterFunction f = counter("");
        PacketContext a = TestPacket.tcp("10.0.0.1", 40000, "10.20.0.5", 80).spi(10).payloadLength(100).build(); // 140 B
        PacketContext b = TestPacket.udp("10.0.0.2", 5353, "10.20.0.5", 53).spi(10).payloadLength(12).build();   // 40 B
        PacketContext c = TestPacket.udp("2001:db8::1", 1000, "2001:db8::2", 2000).spi(0x80000a).payloadLength(2).build(); // 50 B
        for (int i = 0; i < 3; i++) {
            assertThat(f.process(a)).isEqualTo(Verdict.FORWARD);
        }
        f.process(b);
        f.process(c);
        f.process(c);
        f.publish(System.nanoTime());

        assertThat(sample("astaire_counter_chain_packets_total", "spi", "10")).isEqualTo(4.0);
        assertThat(sample("astaire_counter_chain_bytes_total", "spi", "10")).isEqualTo(3 * 140 + 40.0);
        assertThat(sample("astaire_counter_chain_packets_total", "spi", Integer.toString(0x80000a))).isEqualTo(2.0);
        assertThat(sample("astaire_counter_chain_bytes_total", "spi", Integer.toString(0x80000a))).isEqualTo(100.0);
        assertThat(sample("astaire_counter_flow_packets_total", "flow", "10.0.0.1:40000>10.20.0.5:80/tcp")).isEqualTo(3.0);
        assertThat(sample("astaire_counter_flow_bytes_total", "flow", "10.0.0.1:40000>10.20.0.5:80/tcp")).isEqualTo(420.0);
        assertThat(sample("astaire_counter_flow_packets_total", "flow", "10.0.0.2:5353>10.20.0.5:53/udp")).isEqualTo(1.0);
        assertThat(sample("astaire_counter_flow_packets_total", "flow", "[2001:db8::1]:1000>[2001:db8::2]:2000/udp"))
                .isEqualTo(2.0);
        assertThat(sample("astaire_counter_flow_packets_total", "flow", "other")).isEqualTo(0.0);
        assertThat(Scrape.value(meters, "astaire_counter_flows", Map.of("function", "count"))).isEqualTo(3.0);
    }

    @Test
    void flowsBeyondMaxFlowsCountAsOther() {
        CounterFunction f = counter("maxFlows: 2\nmaxChains: 1");
        for (int port = 1; port <= 5; port++) {
            f.process(TestPacket.udp("10.0.0.1", port, "10.0.0.2", 53).spi(port).build());
            f.process(TestPacket.udp("10.0.0.1", port, "10.0.0.2", 53).spi(port).build());
        }
        f.publish(System.nanoTime());
        assertThat(Scrape.value(meters, "astaire_counter_flows", Map.of())).isEqualTo(2.0);
        assertThat(Scrape.count(meters, "astaire_counter_flow_packets_total")).isEqualTo(3); // 2 flows + other
        assertThat(sample("astaire_counter_flow_packets_total", "flow", "10.0.0.1:1>10.0.0.2:53/udp")).isEqualTo(2.0);
        assertThat(sample("astaire_counter_flow_packets_total", "flow", "other")).isEqualTo(6.0);
        assertThat(sample("astaire_counter_chain_packets_total", "spi", "1")).isEqualTo(2.0);
        assertThat(sample("astaire_counter_chain_packets_total", "spi", "other")).isEqualTo(8.0);
    }

    @Test
    void idleFlowsAreForgottenAndMakeRoom() {
        CounterFunction f = counter("maxFlows: 1\nidleTimeout: 60");
        PacketContext first = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 53).build();
        PacketContext second = TestPacket.udp("10.0.0.1", 2, "10.0.0.2", 53).build();
        long t = 0;
        f.process(first);
        f.publish(t);
        f.process(second); // no room: other
        f.publish(t += TimeUnit.SECONDS.toNanos(30));
        f.process(first);
        f.publish(t += TimeUnit.SECONDS.toNanos(30)); // first was active 30 s ago: kept
        assertThat(sample("astaire_counter_flow_packets_total", "flow", "10.0.0.1:1>10.0.0.2:53/udp")).isEqualTo(2.0);
        f.publish(t += TimeUnit.SECONDS.toNanos(60)); // idle for 60 s: forgotten
        assertThat(sample("astaire_counter_flow_packets_total", "flow", "10.0.0.1:1>10.0.0.2:53/udp")).isNaN();
        f.process(second);
        f.publish(t);
        assertThat(sample("astaire_counter_flow_packets_total", "flow", "10.0.0.1:2>10.0.0.2:53/udp")).isEqualTo(1.0);
        assertThat(sample("astaire_counter_flow_packets_total", "flow", "other")).isEqualTo(1.0);
        assertThat(sample("astaire_counter_chain_packets_total", "spi", "10")).isEqualTo(4.0);
    }

    @Test
    void twoWorkersCountExactly() throws Exception {
        CounterFunction f = counter("maxFlows: 8");
        int perThread = 200_000;
        Map<String, Long> expectedPackets = new HashMap<>();
        Map<String, Long> expectedBytes = new HashMap<>();
        List<Thread> threads = new ArrayList<>();
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        for (int t = 0; t < 2; t++) {
            // Each worker has its own contexts (as a node's workers do) over the same 12 flows.
            List<PacketContext> flows = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                flows.add(TestPacket.udp("10.0.0." + (i + 1), 1000 + i, "10.20.0.5", 53).spi(1 + i % 3).payloadLength(i).build());
            }
            Random random = new Random(42 + t);
            int[] order = new int[perThread];
            for (int n = 0; n < perThread; n++) {
                order[n] = random.nextInt(flows.size());
                PacketContext ctx = flows.get(order[n]);
                expectedPackets.merge("spi " + ctx.spi(), 1L, Long::sum);
                expectedBytes.merge("spi " + ctx.spi(), (long) ctx.innerLength(), Long::sum);
                expectedPackets.merge("flow " + order[n], 1L, Long::sum);
            }
            threads.add(new Thread(() -> {
                RateLimitFunctionTest.await(start);
                for (int n : order) {
                    f.process(flows.get(n));
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
        f.publish(System.nanoTime());
        for (int spi = 1; spi <= 3; spi++) {
            assertThat(sample("astaire_counter_chain_packets_total", "spi", "" + spi)).isEqualTo((double) expectedPackets.get("spi " + spi));
            assertThat(sample("astaire_counter_chain_bytes_total", "spi", "" + spi)).isEqualTo((double) expectedBytes.get("spi " + spi));
        }
        double tracked = 0;
        for (int i = 0; i < 12; i++) {
            double v = sample("astaire_counter_flow_packets_total", "flow", "10.0.0." + (i + 1) + ":" + (1000 + i) + ">10.20.0.5:53/udp");
            if (!Double.isNaN(v)) {
                assertThat(v).isEqualTo((double) expectedPackets.get("flow " + i));
                tracked += v;
            }
        }
        // At most maxFlows plus one racing insert per worker get their own series; the rest are "other".
        assertThat(Scrape.count(meters, "astaire_counter_flow_packets_total") - 1).isBetween(8L, 10L);
        assertThat(tracked + sample("astaire_counter_flow_packets_total", "flow", "other")).isEqualTo(2.0 * perThread);
    }

    @Test
    void countingKnownFlowsAllocatesNothing() {
        CounterFunction f = counter("");
        PacketContext ctx = TestPacket.tcp("10.0.0.1", 40000, "10.20.0.5", 80).spi(1000).build();
        Runnable loop = () -> {
            for (int i = 0; i < 100_000; i++) {
                f.process(ctx);
            }
        };
        loop.run();
        assertThat(Allocations.bytesAllocatedBy(loop)).isLessThan(10_000);
    }

    @Test
    void startedPublisherRegistersNewFlowsByItself() {
        CounterFunction f = counter("");
        f.start();
        try {
            f.process(TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 53).build());
            org.awaitility.Awaitility.await().atMost(5, TimeUnit.SECONDS).until(
                    () -> !Double.isNaN(sample("astaire_counter_flow_packets_total", "flow", "10.0.0.1:1>10.0.0.2:53/udp")));
        } finally {
            f.stop();
        }
    }

    @Test
    void badConfigNamesTheField() {
        assertThatThrownBy(() -> counter("maxFlows: -1")).hasMessage("functions.count.config.maxFlows: -1 is not >= 0");
        assertThatThrownBy(() -> counter("idleTimeout: 0")).hasMessage("functions.count.config.idleTimeout: 0 is not >= 1 (seconds)");
        assertThatThrownBy(() -> counter("maxFlow: 10")).hasMessageStartingWith("functions.count.config.maxFlow: unknown field");
        assertThatThrownBy(() -> counter("maxFlows: many")).hasMessage("functions.count.config.maxFlows: 'many' is not an integer");
    }
}
