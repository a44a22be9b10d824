package io.astaire.dataplane.function.builtin;

import io.astaire.function.FunctionConfig;
import io.astaire.function.PacketContext;
import io.astaire.function.ServiceFunction;
import io.astaire.function.Verdict;
import io.astaire.wire.FlowKey;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Tags;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts packets and bytes (of the inner IP packet) per chain (SPI) and per flow, and forwards
 * everything. The number of flows and chains tracked is bounded: beyond {@code maxFlows} new flows
 * count under {@code flow="other"}, so a flood of flows cannot exhaust memory or the metrics
 * backend. A flow that sees no packet for {@code idleTimeout} seconds is forgotten (its series
 * disappear) and makes room for another.
 *
 * <pre>
 * config:
 *   maxFlows: 1024       # flows with their own series (0: count per chain only)
 *   maxChains: 256       # SPIs with their own series; others count under spi="other"
 *   idleTimeout: 300     # seconds without packets before a flow is forgotten
 * </pre>
 *
 * Metrics: {@code astaire_counter_chain_packets_total{function, spi}} and
 * {@code astaire_counter_chain_bytes_total}, {@code astaire_counter_flow_packets_total{function, flow}}
 * and {@code astaire_counter_flow_bytes_total} (flow as {@code 10.0.0.1:40000>10.20.0.5:80/tcp}),
 * {@code astaire_counter_flows{function}}. Series of new flows and chains appear within a second
 * (a background thread registers them, so the packet path never takes the registry's lock).
 */
public final class CounterFunction implements ServiceFunction {
    public static final String KIND = "counter";

    /** The function's config as written in the topology. */
    public record Config(Integer maxFlows, Integer maxChains, Long idleTimeout) {}

    /** Packets and bytes of one flow or chain, plus what the publisher knows of it. */
    static final class Stats {
        final LongAdder packets = new LongAdder();
        final LongAdder bytes = new LongAdder();
        // Publisher thread only:
        FunctionCounter packetMeter;
        FunctionCounter byteMeter;
        long lastPackets = -1;
        long idleSinceNanos;

        void add(int length) {
            packets.increment();
            bytes.add(length);
        }
    }

    private final ConcurrentHashMap<FlowKey, Stats> flows = new ConcurrentHashMap<>();
    private final Stats otherFlows = new Stats();
    private final Stats otherChains = new Stats();
    private SpiTable<Stats> chains = new SpiTable<>(256);
    private int maxFlows = 1024;
    private long idleTimeoutNanos = TimeUnit.SECONDS.toNanos(300);
    private MeterSet metrics;
    private ScheduledExecutorService publisher;

    @Override
    public void configure(FunctionConfig config) {
        Config c = config.bind(Config.class);
        maxFlows = c.maxFlows() == null ? 1024 : c.maxFlows();
        if (maxFlows < 0) {
            throw config.invalid("maxFlows", maxFlows + " is not >= 0");
        }
        int maxChains = c.maxChains() == null ? 256 : c.maxChains();
        if (maxChains < 0) {
            throw config.invalid("maxChains", maxChains + " is not >= 0");
        }
        long idle = c.idleTimeout() == null ? 300 : c.idleTimeout();
        if (idle < 1) {
            throw config.invalid("idleTimeout", idle + " is not >= 1 (seconds)");
        }
        idleTimeoutNanos = TimeUnit.SECONDS.toNanos(idle);
        chains = new SpiTable<>(maxChains);
        metrics = new MeterSet(config.meters(), config.tags());
        register(otherChains, "chain", Tags.of("spi", "other"));
        if (maxFlows > 0) {
            register(otherFlows, "flow", Tags.of("flow", "other"));
        }
        metrics.gauge("astaire.counter.flows", "Flows counted under their own series", Tags.empty(), flows, ConcurrentHashMap::size);
    }

    @Override
    public void start() {
        publisher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "counter-publish");
            t.setDaemon(true);
            return t;
        });
        publisher.scheduleWithFixedDelay(() -> publish(System.nanoTime()), 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public Verdict process(PacketContext packet) {
        int length = packet.innerLength();
        Stats chain = chains.get(packet.spi(), spi -> new Stats());
        (chain != null ? chain : otherChains).add(length);
        if (maxFlows > 0) {
            Stats flow = flows.get(packet.flow());
            (flow != null ? flow : newFlow(packet.flow())).add(length);
        }
        return Verdict.FORWARD;
    }

    // The rare path: the first packet of a flow.
    private Stats newFlow(FlowKey flow) {
        if (flows.size() >= maxFlows) {
            // Full, perhaps by another worker's insert of this very flow since our get: look again,
            // or this packet would count under "other" while the flow has its own series.
            Stats raced = flows.get(flow);
            return raced != null ? raced : otherFlows;
        }
        Stats fresh = new Stats();
        Stats raced = flows.putIfAbsent(flow.copy(), fresh);
        return raced != null ? raced : fresh;
    }

    /**
     * Registers meters for flows and chains seen since the last call, and forgets flows idle for
     * {@code idleTimeout}. Runs every second on the publisher thread (tests call it directly).
     * A packet counted on a flow in the instant it is forgotten is lost with it.
     */
    synchronized void publish(long nowNanos) {
        chains.forEach((stats, spi) -> {
            if (stats.packetMeter == null) {
                register(stats, "chain", Tags.of("spi", Integer.toString(spi)));
            }
        });
        for (Iterator<Map.Entry<FlowKey, Stats>> it = flows.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<FlowKey, Stats> e = it.next();
            Stats stats = e.getValue();
            if (stats.packetMeter == null) {
                register(stats, "flow", Tags.of("flow", FlowLabels.label(e.getKey())));
            }
            long packets = stats.packets.sum();
            if (packets != stats.lastPackets) {
                stats.lastPackets = packets;
                stats.idleSinceNanos = nowNanos;
            } else if (nowNanos - stats.idleSinceNanos >= idleTimeoutNanos) {
                it.remove();
                metrics.remove(stats.packetMeter);
                metrics.remove(stats.byteMeter);
            }
        }
    }

    private void register(Stats stats, String scope, Tags key) {
        stats.packetMeter = metrics.counter("astaire.counter." + scope + ".packets", "Inner packets per " + scope, null,
                key, stats.packets, LongAdder::sum);
        stats.byteMeter = metrics.counter("astaire.counter." + scope + ".bytes", "Inner IP bytes per " + scope, "bytes",
                key, stats.bytes, LongAdder::sum);
    }

    @Override
    public void stop() {
        if (publisher != null) {
            publisher.shutdownNow();
            try {
                publisher.awaitTermination(5, TimeUnit.SECONDS); // a publish in progress finishes before the meters go
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            publisher = null;
        }
        if (metrics != null) {
            metrics.close();
        }
    }
}
