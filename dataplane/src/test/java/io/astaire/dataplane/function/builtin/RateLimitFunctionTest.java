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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Time is a hand-stepped clock: every expectation is exact, none depends on how fast the test runs. */
class RateLimitFunctionTest {

    private final PrometheusMeterRegistry meters = Configs.registry();
    private final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(5));

    private RateLimitFunction limiter(String yaml) {
        return Configs.configure(new RateLimitFunction(now::get), "limit", yaml, meters);
    }

    private static int passed(RateLimitFunction f, PacketContext ctx, int packets) {
        int passed = 0;
        for (int i = 0; i < packets; i++) {
            if (f.process(ctx) == Verdict.FORWARD) {
                passed++;
            }
        }
        return passed;
    }

    private void advanceMillis(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void aBurstPassesThenTheRate() {
        RateLimitFunction f = limiter("rate: 10\nburst: 5");
        PacketContext ctx = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).build();
        assertThat(passed(f, ctx, 8)).isEqualTo(5);
        advanceMillis(100); // one token at 10/s
        assertThat(passed(f, ctx, 3)).isEqualTo(1);
        advanceMillis(250); // two and a half tokens
        assertThat(passed(f, ctx, 3)).isEqualTo(2);
        advanceMillis(10_000); // the bucket fills to its depth, not beyond
        assertThat(passed(f, ctx, 20)).isEqualTo(5);
        assertThat(Scrape.value(meters, "astaire_ratelimit_packets_total", Map.of("function", "limit", "result", "passed")))
                .isEqualTo(13.0);
        assertThat(Scrape.value(meters, "astaire_ratelimit_packets_total", Map.of("function", "limit", "result", "dropped")))
                .isEqualTo(21.0);
    }

    @Test
    void burstDefaultsToOneSecondOfRate() {
        RateLimitFunction f = limiter("rate: 50");
        assertThat(passed(f, TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).build(), 80)).isEqualTo(50);
    }

    @Test
    void bitsChargeEightTimesTheInnerLength() {
        // 8000 bit/s = 1000 B/s; bucket of 12000 bits = 1500 B; packets of 500 B inner length.
        RateLimitFunction f = limiter("rate: 8000\nunit: bits\nburst: 12000");
        PacketContext ctx = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).payloadLength(500 - 28).build();
        assertThat(ctx.innerLength()).isEqualTo(500);
        assertThat(passed(f, ctx, 5)).isEqualTo(3);
        advanceMillis(499);
        assertThat(passed(f, ctx, 1)).isZero();
        advanceMillis(1);
        assertThat(passed(f, ctx, 2)).isEqualTo(1);
    }

    @Test
    void perFlowBucketsAreIndependentAndBounded() {
        RateLimitFunction f = limiter("rate: 1\nburst: 2\nscope: flow\nmaxFlows: 2");
        PacketContext a = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).build();
        PacketContext b = TestPacket.udp("10.0.0.1", 3, "10.0.0.2", 2).build();
        PacketContext c = TestPacket.tcp("10.0.0.1", 1, "10.0.0.2", 2).build();
        PacketContext d = TestPacket.udp("10.0.0.9", 1, "10.0.0.2", 2).build();
        assertThat(passed(f, a, 5)).isEqualTo(2);
        assertThat(passed(f, b, 5)).isEqualTo(2);
        assertThat(f.flowCount()).isEqualTo(2);
        // No room for c and d: they share the overflow bucket.
        assertThat(passed(f, c, 1) + passed(f, d, 5)).isEqualTo(2);
        assertThat(f.flowCount()).isEqualTo(2);
        assertThat(Scrape.value(meters, "astaire_ratelimit_flows", Map.of("function", "limit"))).isEqualTo(2.0);

        advanceMillis(1000); // a and b regain one token: not yet full, kept
        f.sweep();
        assertThat(f.flowCount()).isEqualTo(2);
        advanceMillis(1000); // full again: forgotten, which frees room for c
        f.sweep();
        assertThat(f.flowCount()).isZero();
        assertThat(passed(f, c, 3)).isEqualTo(2);
        assertThat(f.flowCount()).isEqualTo(1);
    }

    @Test
    void twoWorkersNeverPassMoreThanTheBucketHolds() throws Exception {
        // A burst that lasts most of the run, so that both workers contend for the bucket.
        RateLimitFunction f = limiter("rate: 1000\nburst: 300000");
        AtomicInteger passed = new AtomicInteger();
        runTwoWorkers(f, 200_000, List.of(TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2)), passed);
        // The clock never moved: exactly the burst passed, whatever the interleaving of CASes.
        assertThat(passed.get()).isEqualTo(300_000);
        assertThat(Scrape.value(meters, "astaire_ratelimit_packets_total", Map.of("result", "dropped"))).isEqualTo(100_000.0);
    }

    @Test
    void twoWorkersShareEachFlowsBucket() throws Exception {
        RateLimitFunction f = limiter("rate: 1\nburst: 100\nscope: flow");
        List<TestPacket> flows = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            flows.add(TestPacket.udp("10.0.0." + (i + 1), 1000, "10.0.0.200", 53));
        }
        AtomicInteger passed = new AtomicInteger();
        runTwoWorkers(f, 20_000, flows, passed);
        assertThat(f.flowCount()).isEqualTo(10);
        assertThat(passed.get()).isEqualTo(10 * 100); // each flow got exactly its burst
    }

    private static void runTwoWorkers(RateLimitFunction f, int perThread, List<TestPacket> flows, AtomicInteger passed)
            throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        CyclicBarrier start = new CyclicBarrier(2);
        for (int t = 0; t < 2; t++) {
            List<PacketContext> contexts = flows.stream().map(TestPacket::build).toList();
            Random random = new Random(7 + t);
            threads.add(new Thread(() -> {
                await(start);
                int mine = 0;
                for (int n = 0; n < perThread; n++) {
                    if (f.process(contexts.get(random.nextInt(contexts.size()))) == Verdict.FORWARD) {
                        mine++;
                    }
                }
                passed.addAndGet(mine);
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
    }

    static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void policingAllocatesNothing() {
        RateLimitFunction f = limiter("rate: 1000000\nscope: flow");
        PacketContext ctx = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).build();
        f.process(ctx);
        Runnable loop = () -> {
            for (int i = 0; i < 100_000; i++) {
                f.process(ctx);
                now.addAndGet(1000);
            }
        };
        loop.run();
        assertThat(Allocations.bytesAllocatedBy(loop)).isLessThan(10_000);
    }

    @Test
    void badConfigNamesTheField() {
        assertThatThrownBy(() -> limiter("burst: 10")).hasMessage("functions.limit.config.rate: is required (tokens per second)");
        assertThatThrownBy(() -> limiter("rate: -5")).hasMessage("functions.limit.config.rate: -5.0 is not a positive number");
        assertThatThrownBy(() -> limiter("rate: 10\nburst: 0.5")).hasMessage("functions.limit.config.burst: 0.5 is not a number >= 1");
        assertThatThrownBy(() -> limiter("rate: 10\nunit: bytes")).hasMessage("functions.limit.config.unit: 'bytes' is not packets|bits");
        assertThatThrownBy(() -> limiter("rate: 10\nscope: tenant")).hasMessage("functions.limit.config.scope: 'tenant' is not global|flow");
        assertThatThrownBy(() -> limiter("rate: 10\nmaxFlows: 0")).hasMessage("functions.limit.config.maxFlows: 0 is not >= 1");
        assertThatThrownBy(() -> limiter("rate: fast")).hasMessage("functions.limit.config.rate: 'fast' is not a number");
    }
}
