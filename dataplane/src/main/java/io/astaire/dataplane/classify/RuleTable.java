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

    private final int size;
    private final int[] protocol;      // IP protocol number or ANY
    private final int[] family;        // 4, 6 or 0 (rule has no prefix: either family)
    private final long[] srcHigh, srcLow, srcMaskHigh, srcMaskLow;
    private final long[] dstHigh, dstLow, dstMaskHigh, dstMaskLow;
    private final int[] srcPortFrom, srcPortTo, dstPortFrom, dstPortTo;
    private final int[] spi;
    private final String[] ruleNames;
    private final int defaultSpi;

    private RuleTable(List<RuleSpec> rules, List<Integer> spis, int defaultSpi) {
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
        srcPortFrom = new int[size];
        srcPortTo = new int[size];
        dstPortFrom = new int[size];
        dstPortTo = new int[size];
        spi = new int[size];
        ruleNames = new String[size];
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
            PortRange spr = r.sourcePorts();
            PortRange dpr = r.destinationPorts();
            srcPortFrom[i] = spr == null ? ANY : spr.from();
            srcPortTo[i] = spr == null ? ANY : spr.to();
            dstPortFrom[i] = dpr == null ? ANY : dpr.from();
            dstPortTo[i] = dpr == null ? ANY : dpr.to();
            spi[i] = spis.get(i);
            ruleNames[i] = r.name();
        }
        this.defaultSpi = defaultSpi;
    }

    /** The ingress's table: every rule in priority order, to its chain's forward SPI. */
    public static RuleTable forward(Topology topology) {
        List<RuleSpec> rules = topology.orderedRules();
        List<Integer> spis = new ArrayList<>(rules.size());
        for (RuleSpec r : rules) {
            spis.add(topology.chain(r.chain()).spi());
        }
        ChainSpec def = topology.defaultChain() == null ? null : topology.chain(topology.defaultChain());
        return new RuleTable(rules, spis, def == null ? NO_MATCH : def.spi());
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
        return new RuleTable(rules, spis, def != null && def.isSymmetric() ? ChainSpec.reverseSpi(def.spi()) : NO_MATCH);
    }

    /** A table of the given rules (already in order) to the given SPIs; for tests and tools. */
    public static RuleTable of(List<RuleSpec> orderedRules, List<Integer> spis, int defaultSpi) {
        if (orderedRules.size() != spis.size()) {
            throw new IllegalArgumentException(orderedRules.size() + " rules but " + spis.size() + " SPIs");
        }
        return new RuleTable(orderedRules, spis, defaultSpi);
    }

    // {high, low, maskHigh, maskLow}; IPv4 sits in the low 32 bits of low, like FlowKey.
    private static long[] words(IpPrefix p) {
        if (p == null) {
            return new long[] {0, 0, 0, 0};
        }
        byte[] a = p.address();
        if (!p.isIpv6()) {
            long addr = ((a[0] & 0xffL) << 24) | ((a[1] & 0xffL) << 16) | ((a[2] & 0xffL) << 8) | (a[3] & 0xffL);
            long mask = p.length() == 0 ? 0 : (0xFFFF_FFFFL << (32 - p.length())) & 0xFFFF_FFFFL;
            return new long[] {0, addr, 0, mask};
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++) {
            high = (high << 8) | (a[i] & 0xffL);
            low = (low << 8) | (a[i + 8] & 0xffL);
        }
        int len = p.length();
        long maskHigh = len == 0 ? 0 : len >= 64 ? -1L : -1L << (64 - len);
        long maskLow = len <= 64 ? 0 : len == 128 ? -1L : -1L << (128 - len);
        return new long[] {high, low, maskHigh, maskLow};
    }

    /**
     * The SPI of the first rule matching {@code flow}, or the default chain's SPI, or
     * {@link #NO_MATCH}. Scans the rules: the classifier calls it once per new flow.
     */
    public int classify(FlowKey flow) {
        int index = firstMatch(flow);
        return index >= 0 ? spi[index] : defaultSpi;
    }

    /** The index of the first matching rule, or -1. */
    public int firstMatch(FlowKey flow) {
        int fam = flow.family();
        int proto = flow.protocol();
        long sh = flow.sourceHigh();
        long sl = flow.sourceLow();
        long dh = flow.destinationHigh();
        long dl = flow.destinationLow();
        boolean ports = proto == 6 || proto == 17;
        int sp = flow.sourcePort();
        int dp = flow.destinationPort();
        for (int i = 0; i < size; i++) {
            if (protocol[i] != ANY && protocol[i] != proto) {
                continue;
            }
            if (family[i] != 0 && family[i] != fam) {
                continue;
            }
            if ((sh & srcMaskHigh[i]) != srcHigh[i] || (sl & srcMaskLow[i]) != srcLow[i]
                    || (dh & dstMaskHigh[i]) != dstHigh[i] || (dl & dstMaskLow[i]) != dstLow[i]) {
                continue;
            }
            if (srcPortFrom[i] != ANY && (!ports || sp < srcPortFrom[i] || sp > srcPortTo[i])) {
                continue;
            }
            if (dstPortFrom[i] != ANY && (!ports || dp < dstPortFrom[i] || dp > dstPortTo[i])) {
                continue;
            }
            return i;
        }
        return -1;
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

    /** The SPI of rule {@code index}. */
    public int spi(int index) {
        return spi[index];
    }
}
