package io.astaire.dataplane.classify;

import io.astaire.model.ChainSpec;
import io.astaire.model.IpPrefix;
import io.astaire.model.PortRange;
import io.astaire.model.RuleSpec;
import io.astaire.model.Topology;
import io.astaire.wire.FlowKey;
import java.util.ArrayList;
import java.util.List;

/**
 * The classifier rules of one direction, compiled into flat arrays of primitives and tried in
 * order; the first rule whose fields all match gives the SPI. Immutable: a topology update builds
 * a new table and the classifiers swap to it.
 *
 * <p>{@link #forward(Topology)} is the ingress's table: {@link Topology#orderedRules()} to each
 * chain's SPI, unmatched traffic to the default chain (or dropped). {@link #reverse(Topology)} is
 * the egress's: the rules of symmetric chains {@linkplain RuleSpec#reversed() reversed} to the
 * reverse SPI, so replies travel back; replies of one-way chains match nothing and follow the
 * default chain's reverse path when it is symmetric, else are dropped.
 */
public final class RuleTable {
    /** Returned when no rule matches and there is no default chain: the packet is dropped. */
    public static final int NO_MATCH = -1;

    private static final int ANY = -1;
    /** {@link #protocol(int)} of a rule that matches every protocol. */
    static final int ANY_PROTOCOL = ANY;

    private final int size;
    private final int[] protocol;      // IP protocol number or ANY
    private final int[] family;        // 4, 6 or 0 (rule has no prefix: either family)
    private final long[] srcHigh, srcLow, srcMaskHigh, srcMaskLow;
    private final long[] dstHigh, dstLow, dstMaskHigh, dstMaskLow;
    private final int[] srcLength, dstLength; // prefix lengths, 0 without a prefix
    private final int[] srcPortFrom, srcPortTo, dstPortFrom, dstPortTo;
    private final int[] spi;
    private final String[] ruleNames;
    private final String[] chainNames;
    private final int defaultSpi;
    private final String defaultChain;
    private final TupleSpace index;

    /** Bytes of the rules' own arrays per rule: 9 ints, 8 longs, the name and chain references. */
    static final int BYTES_PER_RULE = 9 * Integer.BYTES + 8 * Long.BYTES + 2 * 8;

    private RuleTable(List<RuleSpec> rules, List<Integer> spis, int defaultSpi, String defaultChain) {
        this.size = rules.size();
        protocol = new int[size];
        family = new int[size];
        srcHigh = new long[size];
        srcLow = new long[size];
        srcMaskHigh = new long[size];
        srcMaskLow = new long[size];
        dstHigh = new long[size];
        dstLow = new long[size];
        dstMaskHigh = new long[size];
        dstMaskLow = new long[size];
        srcLength = new int[size];
        dstLength = new int[size];
        srcPortFrom = new int[size];
        srcPortTo = new int[size];
        dstPortFrom = new int[size];
        dstPortTo = new int[size];
        spi = new int[size];
        ruleNames = new String[size];
        chainNames = new String[size];
        for (int i = 0; i < size; i++) {
            RuleSpec r = rules.get(i);
            protocol[i] = r.protocol().number();
            IpPrefix s = r.source();
            IpPrefix d = r.destination();
            family[i] = s != null ? (s.isIpv6() ? 6 : 4) : d != null ? (d.isIpv6() ? 6 : 4) : 0;
            long[] sp = words(s);
            long[] dp = words(d);
            srcHigh[i] = sp[0];
            srcLow[i] = sp[1];
            srcMaskHigh[i] = sp[2];
            srcMaskLow[i] = sp[3];
            dstHigh[i] = dp[0];
            dstLow[i] = dp[1];
            dstMaskHigh[i] = dp[2];
            dstMaskLow[i] = dp[3];
            srcLength[i] = s == null ? 0 : s.length();
            dstLength[i] = d == null ? 0 : d.length();
            PortRange spr = r.sourcePorts();
            PortRange dpr = r.destinationPorts();
            srcPortFrom[i] = spr == null ? ANY : spr.from();
            srcPortTo[i] = spr == null ? ANY : spr.to();
            dstPortFrom[i] = dpr == null ? ANY : dpr.from();
            dstPortTo[i] = dpr == null ? ANY : dpr.to();
            spi[i] = spis.get(i);
            ruleNames[i] = r.name();
            chainNames[i] = r.chain();
        }
        this.defaultSpi = defaultSpi;
        this.defaultChain = defaultSpi == NO_MATCH ? null : defaultChain;
        this.index = new TupleSpace(this); // built here, with the version, never on the packet path
    }

    /** The ingress's table: every rule in priority order, to its chain's forward SPI. */
    public static RuleTable forward(Topology topology) {
        List<RuleSpec> rules = topology.orderedRules();
        List<Integer> spis = new ArrayList<>(rules.size());
        for (RuleSpec r : rules) {
            spis.add(topology.chain(r.chain()).spi());
        }
        ChainSpec def = topology.defaultChain() == null ? null : topology.chain(topology.defaultChain());
        return new RuleTable(rules, spis, def == null ? NO_MATCH : def.spi(), topology.defaultChain());
    }

    /** The egress's table: rules of symmetric chains, reversed, to the chain's reverse SPI. */
    public static RuleTable reverse(Topology topology) {
        List<RuleSpec> rules = new ArrayList<>();
        List<Integer> spis = new ArrayList<>();
        for (RuleSpec r : topology.orderedRules()) {
            ChainSpec chain = topology.chain(r.chain());
            if (chain.isSymmetric()) {
                rules.add(r.reversed());
                spis.add(ChainSpec.reverseSpi(chain.spi()));
            }
        }
        ChainSpec def = topology.defaultChain() == null ? null : topology.chain(topology.defaultChain());
        return new RuleTable(rules, spis, def != null && def.isSymmetric() ? ChainSpec.reverseSpi(def.spi()) : NO_MATCH,
                topology.defaultChain());
    }

    /** How many rules {@link #reverse(Topology)} would hold: those of symmetric chains. */
    static int reverseRuleCount(Topology topology) {
        int n = 0;
        for (RuleSpec r : topology.orderedRules()) {
            n += topology.chain(r.chain()).isSymmetric() ? 1 : 0;
        }
        return n;
    }

    /** A table of the given rules (already in order) to the given SPIs; for tests and tools. */
    public static RuleTable of(List<RuleSpec> orderedRules, List<Integer> spis, int defaultSpi) {
        if (orderedRules.size() != spis.size()) {
            throw new IllegalArgumentException(orderedRules.size() + " rules but " + spis.size() + " SPIs");
        }
        return new RuleTable(orderedRules, spis, defaultSpi, "default");
    }

    // {high, low, maskHigh, maskLow}; IPv4 sits in the low 32 bits of low, like FlowKey.
    private static long[] words(IpPrefix p) {
        if (p == null) {
            return new long[] {0, 0, 0, 0};
        }
        byte[] a = p.address();
        long[] mask = mask(p.isIpv6(), p.length());
        if (!p.isIpv6()) {
            long addr = ((a[0] & 0xffL) << 24) | ((a[1] & 0xffL) << 16) | ((a[2] & 0xffL) << 8) | (a[3] & 0xffL);
            return new long[] {0, addr & mask[1], 0, mask[1]};
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++) {
            high = (high << 8) | (a[i] & 0xffL);
            low = (low << 8) | (a[i + 8] & 0xffL);
        }
        return new long[] {high & mask[0], low & mask[1], mask[0], mask[1]};
    }

    /** {maskHigh, maskLow} of a prefix of {@code length} bits; IPv4 in the low 32 bits of low. */
    static long[] mask(boolean ipv6, int length) {
        if (!ipv6) {
            return new long[] {0, length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL};
        }
        long maskHigh = length == 0 ? 0 : length >= 64 ? -1L : -1L << (64 - length);
        long maskLow = length <= 64 ? 0 : length == 128 ? -1L : -1L << (128 - length);
        return new long[] {maskHigh, maskLow};
    }

    /**
     * The SPI of the first rule matching {@code flow}, or the default chain's SPI, or
     * {@link #NO_MATCH}. Looks the rules up in the {@link TupleSpace} index: the classifier calls
     * it once per new flow, and its cost follows the variety of the rules' masks, not their number.
     */
    public int classify(FlowKey flow) {
        return spiOf(firstMatch(flow));
    }

    /** The SPI of rule {@code index}, or for -1 (no rule matched) the default chain's SPI or {@link #NO_MATCH}. */
    public int spiOf(int index) {
        return index >= 0 ? spi[index] : defaultSpi;
    }

    /** The index of the first matching rule, or -1, by the index. */
    public int firstMatch(FlowKey flow) {
        return index.firstMatch(flow);
    }

    /**
     * The index of the first matching rule, or -1, by trying every rule in order: the reference
     * the index is tested against, and the baseline of the benchmark.
     */
    public int scanFirstMatch(FlowKey flow) {
        for (int i = 0; i < size; i++) {
            if (matches(i, flow)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether every field of rule {@code i} matches {@code flow}. */
    boolean matches(int i, FlowKey flow) {
        int proto = flow.protocol();
        if (protocol[i] != ANY && protocol[i] != proto) {
            return false;
        }
        if (family[i] != 0 && family[i] != flow.family()) {
            return false;
        }
        if ((flow.sourceHigh() & srcMaskHigh[i]) != srcHigh[i] || (flow.sourceLow() & srcMaskLow[i]) != srcLow[i]
                || (flow.destinationHigh() & dstMaskHigh[i]) != dstHigh[i]
                || (flow.destinationLow() & dstMaskLow[i]) != dstLow[i]) {
            return false;
        }
        boolean ports = proto == 6 || proto == 17;
        if (srcPortFrom[i] != ANY && (!ports || flow.sourcePort() < srcPortFrom[i] || flow.sourcePort() > srcPortTo[i])) {
            return false;
        }
        return dstPortFrom[i] == ANY
                || ports && flow.destinationPort() >= dstPortFrom[i] && flow.destinationPort() <= dstPortTo[i];
    }

    /** How many tuples (mask shapes) the index probes at most per lookup. */
    public int tupleCount() {
        return index.tupleCount();
    }

    /** Bytes the index holds beside the rules' own arrays. */
    public long indexBytes() {
        return index.indexBytes();
    }

    /** Bytes held by the rules' arrays and the index (rule names, shared with the topology, left out). */
    public long memoryBytes() {
        return (long) BYTES_PER_RULE * size + index.indexBytes();
    }

    // the rule's fields, for the index's build
    int family(int i) {
        return family[i];
    }

    int protocol(int i) {
        return protocol[i];
    }

    int sourceLength(int i) {
        return srcLength[i];
    }

    int destinationLength(int i) {
        return dstLength[i];
    }

    long sourceHigh(int i) {
        return srcHigh[i];
    }

    long sourceLow(int i) {
        return srcLow[i];
    }

    long destinationHigh(int i) {
        return dstHigh[i];
    }

    long destinationLow(int i) {
        return dstLow[i];
    }

    /** {source mask high, low, destination mask high, low}. */
    long[] masks(int i) {
        return new long[] {srcMaskHigh[i], srcMaskLow[i], dstMaskHigh[i], dstMaskLow[i]};
    }

    /** {source from, to, destination from, to}, -1 where the rule takes any port. */
    int[] ports(int i) {
        return new int[] {srcPortFrom[i], srcPortTo[i], dstPortFrom[i], dstPortTo[i]};
    }

    /** What unmatched traffic gets: the default chain's SPI (reverse SPI at the egress), or {@link #NO_MATCH}. */
    public int defaultSpi() {
        return defaultSpi;
    }

    public int size() {
        return size;
    }

    /** The name of rule {@code index} in table order. */
    public String ruleName(int index) {
        return ruleNames[index];
    }

    /** The chain rule {@code index} sends to. */
    public String chainName(int index) {
        return chainNames[index];
    }

    /** The chain unmatched traffic takes, or null when it is dropped. */
    public String defaultChain() {
        return defaultChain;
    }

    /** The rules' and their chains' names, which outlive the table in its hit counts. */
    public RuleNames names() {
        return new RuleNames(ruleNames, chainNames, defaultChain);
    }

    /** The SPI of rule {@code index}. */
    public int spi(int index) {
        return spi[index];
    }
}
