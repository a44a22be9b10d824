package io.astaire.dataplane.function.builtin;

import io.astaire.function.FunctionConfig;
import io.astaire.function.PacketContext;
import io.astaire.function.ServiceFunction;
import io.astaire.function.Verdict;
import io.astaire.wire.FlowKey;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Polices traffic with a token bucket: packets beyond {@code rate} (after a {@code burst}) are
 * dropped. One bucket for everything, or one per flow.
 *
 * <pre>
 * config:
 *   rate: 1000          # tokens per second (required, &gt; 0)
 *   unit: packets       # packets | bits: a packet costs 1 token, or 8 x its inner IP length
 *   burst: 100          # bucket depth in tokens (default: one second of rate)
 *   scope: global       # global | flow: one bucket, or one per inner 5-tuple
 *   maxFlows: 65536     # with scope flow: buckets kept at most; further flows share one bucket
 * </pre>
 *
 * The buckets are lock-free (one CAS per packet). Per-flow buckets that are full again are
 * forgotten by a background sweep every second, so idle flows cost no memory.
 *
 * Metrics: {@code astaire_ratelimit_packets_total{function, result=passed|dropped}},
 * {@code astaire_ratelimit_flows{function}} (per-flow buckets held).
 */
public final class RateLimitFunction implements ServiceFunction {
    public static final String KIND = "ratelimit";

    public enum Unit { PACKETS, BITS }

    public enum Scope { GLOBAL, FLOW }

    /** The function's config as written in the topology. */
    public record Config(Double rate, Unit unit, Double burst, Scope scope, Integer maxFlows) {}

    private final LongSupplier nanoClock;
    private final LongAdder passed = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final ConcurrentHashMap<FlowKey, TokenBucket> flows = new ConcurrentHashMap<>();

    private boolean bits;
    private boolean perFlow;
    private int maxFlows;
    private double nanosPerToken;
    private long toleranceNanos;
    private TokenBucket global;
    private TokenBucket overflow;
    private ScheduledExecutorService sweeper;
    private MeterSet metrics;

    public RateLimitFunction() {
        this(System::nanoTime);
    }

    /** With a clock of its own, for tests that step time by hand. */
    RateLimitFunction(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    @Override
    public void configure(FunctionConfig config) {
        Config c = config.bind(Config.class);
        if (c.rate() == null) {
            throw config.invalid("rate", "is required (tokens per second)");
        }
        if (!(c.rate() > 0) || c.rate().isInfinite()) {
            throw config.invalid("rate", c.rate() + " is not a positive number");
        }
        double burst = c.burst() == null ? c.rate() : c.burst();
        if (!(burst >= 1) || Double.isInfinite(burst)) {
            throw config.invalid("burst", c.burst() + " is not a number >= 1");
        }
        bits = c.unit() == Unit.BITS;
        perFlow = c.scope() == Scope.FLOW;
        maxFlows = c.maxFlows() == null ? 65536 : c.maxFlows();
        if (maxFlows < 1) {
            throw config.invalid("maxFlows", maxFlows + " is not >= 1");
        }
        nanosPerToken = 1e9 / c.rate();
        // A packet passes while the arrival time, once charged for it, is at most `burst` tokens
        // ahead of now: from a full bucket exactly `burst` back-to-back packets pass.
        toleranceNanos = (long) Math.ceil(burst * nanosPerToken);
        global = new TokenBucket(nanosPerToken, toleranceNanos);
        overflow = new TokenBucket(nanosPerToken, toleranceNanos);

        metrics = new MeterSet(config.meters(), config.tags());
        metrics.counter("astaire.ratelimit.packets", "Packets seen by the rate limiter, by result: passed or dropped",
                null, Tags.of("result", "passed"), passed, LongAdder::sum);
        metrics.counter("astaire.ratelimit.packets", "Packets seen by the rate limiter, by result: passed or dropped",
                null, Tags.of("result", "dropped"), dropped, LongAdder::sum);
        metrics.gauge("astaire.ratelimit.flows", "Per-flow buckets held", Tags.empty(), flows, ConcurrentHashMap::size);
    }

    @Override
    public void start() {
        if (perFlow) {
            sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "ratelimit-sweep");
                t.setDaemon(true);
                return t;
            });
            sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
        }
    }

    @Override
    public Verdict process(PacketContext packet) {
        long now = nanoClock.getAsLong();
        long tokens = bits ? 8L * packet.innerLength() : 1L;
        TokenBucket bucket = perFlow ? bucketOf(packet.flow()) : global;
        if (bucket.tryTake(now, tokens)) {
            passed.increment();
            return Verdict.FORWARD;
        }
        dropped.increment();
        return Verdict.DROP;
    }

    private TokenBucket bucketOf(FlowKey flow) {
        TokenBucket bucket = flows.get(flow);
        return bucket != null ? bucket : newFlow(flow);
    }

    // The rare path: a flow's first packet (or the first since its bucket was forgotten).
    private TokenBucket newFlow(FlowKey flow) {
        if (flows.size() >= maxFlows) {
            return overflow;
        }
        TokenBucket fresh = new TokenBucket(nanosPerToken, toleranceNanos);
        TokenBucket raced = flows.putIfAbsent(flow.copy(), fresh);
        return raced != null ? raced : fresh;
    }

    /** Forgets the per-flow buckets that are full: a new bucket would behave the same. */
    void sweep() {
        long now = nanoClock.getAsLong();
        flows.values().removeIf(b -> b.isFull(now));
    }

    /** Per-flow buckets currently held. */
    int flowCount() {
        return flows.size();
    }

    @Override
    public void stop() {
        if (sweeper != null) {
            sweeper.shutdownNow();
            sweeper = null;
        }
        if (metrics != null) {
            metrics.close();
        }
    }
}
