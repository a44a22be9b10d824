package io.astaire.bench;

import io.astaire.dataplane.classify.Classifier;
import io.astaire.dataplane.classify.RuleHits;
import io.astaire.dataplane.classify.RuleTable;
import io.astaire.model.RuleSpec;
import io.astaire.wire.FlowKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One packet's classification as an edge worker does it (flow cache, rules on a miss, the rule's
 * hit counted), under a flood of new flows and with steady ones:
 *
 * <ul>
 *   <li>{@code floodCached}: a new 5-tuple every packet through the worker's flow cache (every
 *       lookup misses, is looked up in the rules and inserted, evicting an older flow);
 *   <li>{@code floodUncached}: the same packets straight to the rules, no cache: what the cache
 *       must not be worse than;
 *   <li>{@code steadyCached}: 1 024 flows over and over, each answered by the cache.
 * </ul>
 *
 * The flood's packets are the {@link RuleSets} trace's flows with a fresh source port each (an
 * xorshift step), so they still land in rules as real traffic would. Run with {@code -prof gc} for
 * the bytes per packet (the goal is 0).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class FlowCacheFloodBenchmark {
    private static final int TRACE = 1 << 16;
    private static final int STEADY = 1024;

    @Param({"ACL"})
    public RuleSets.Shape shape;

    @Param({"10000"})
    public int rules;

    /** Flow-cache entries per worker; the edges' default is 65 536. */
    @Param({"65536"})
    public int cache;

    private RuleTable table;
    private RuleHits hits;
    private Classifier classifier;
    private FlowKey[] trace;
    private final FlowKey packet = new FlowKey();
    private int next;
    private int random = 0x9E3779B9;

    @Setup
    public void setUp() {
        List<RuleSpec> specs = RuleSets.generate(shape, rules, 13);
        List<Integer> spis = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            spis.add(1 + (i & 0x7FFF));
        }
        table = RuleTable.of(specs, spis, RuleTable.NO_MATCH);
        hits = new RuleHits(table, 1, 1);
        classifier = new Classifier(cache);
        trace = RuleSets.trace(specs, TRACE, 31);
    }

    /** The next trace flow with a new source port: a flow not seen (in the cache's lifetime) before. */
    private FlowKey newFlow() {
        FlowKey base = trace[next++ & (TRACE - 1)];
        random ^= random << 13;
        random ^= random >>> 17;
        random ^= random << 5;
        int port = random & 0xFFFF;
        if (base.family() == 4) {
            return packet.ipv4((int) base.sourceLow(), (int) base.destinationLow(), base.protocol(), port, base.destinationPort());
        }
        return packet.ipv6(base.sourceHigh(), base.sourceLow(), base.destinationHigh(), base.destinationLow(), base.protocol(), port,
                base.destinationPort());
    }

    @Benchmark
    public int floodCached() {
        return count(classifier.match(table, newFlow()));
    }

    @Benchmark
    public int floodUncached() {
        return count(table.firstMatch(newFlow()));
    }

    @Benchmark
    public int steadyCached() {
        return count(classifier.match(table, trace[next++ & (STEADY - 1)]));
    }

    private int count(int rule) {
        hits.add(0, rule, 1);
        return table.spiOf(rule);
    }
}
