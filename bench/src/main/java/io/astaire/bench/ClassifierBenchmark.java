package io.astaire.bench;

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
 * One new-flow classification: the tuple space index ({@code index}) beside the rule-by-rule scan
 * ({@code scan}, today's table before issue 13) on the same rules and trace, and the build of a
 * whole table ({@code build}: what a rule change costs, off the packet path). Rule sets from
 * {@link RuleSets}; the trace cycles through 64 Ki flows, so every lookup is a different flow as
 * under a flood of new ones. Run with {@code -prof gc} for the bytes per lookup (the goal is 0).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ClassifierBenchmark {
    private static final int TRACE = 1 << 16;
    /** Flows whose index answer is checked against the scan before measuring (the scan is slow at 100 000). */
    private static final int CHECKED = 4096;

    @Param({"ACL", "FIREWALL", "IP_CHAIN"})
    public RuleSets.Shape shape;

    @Param({"1000", "10000", "100000"})
    public int rules;

    private List<RuleSpec> specs;
    private List<Integer> spis;
    private RuleTable table;
    private FlowKey[] trace;
    private int next;

    @Setup
    public void setUp() {
        specs = RuleSets.generate(shape, rules, 13);
        spis = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            spis.add(1 + (i & 0x7FFF));
        }
        table = RuleTable.of(specs, spis, RuleTable.NO_MATCH);
        trace = RuleSets.trace(specs, TRACE, 31);
        int matched = 0;
        for (int i = 0; i < TRACE; i++) {
            FlowKey flow = trace[i];
            if (i < CHECKED && table.firstMatch(flow) != table.scanFirstMatch(flow)) {
                throw new IllegalStateException("index and scan disagree on " + flow);
            }
            matched += table.firstMatch(flow) >= 0 ? 1 : 0;
        }
        System.out.printf("%n# %s %d rules: %d tuples, index %d KiB, %d of %d trace flows match a rule%n",
                shape, rules, table.tupleCount(), table.indexBytes() / 1024, matched, TRACE);
    }

    @Benchmark
    public int index() {
        return table.firstMatch(trace[next++ & (TRACE - 1)]);
    }

    @Benchmark
    public int scan() {
        return table.scanFirstMatch(trace[next++ & (TRACE - 1)]);
    }

    @Benchmark
    public RuleTable build() {
        return RuleTable.of(specs, spis, RuleTable.NO_MATCH);
    }
}
