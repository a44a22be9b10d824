package io.astaire.dataplane.classify;

import io.astaire.wire.FlowKey;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * An index over one {@link RuleTable} that finds the first matching rule without scanning them
 * all: tuple space search with priority pruning, in the style of Open vSwitch's classifier and of
 * TupleMerge.
 *
 * <p>Rules are grouped into <em>tuples</em> by the shape of their mask: family, source and
 * destination prefix length rounded down to a {@linkplain #V4_STEP grid} (so a /27 and a /25
 * share the /24 tuple: fewer tuples to probe, and the rule itself is verified on a hit), and
 * whether the protocol is exact. Each tuple is an open hash table keyed by the flow's addresses
 * under the tuple's masks (and the protocol when exact); a bucket chains its rules in table
 * order. Ports are not in the key: they are verified per rule, so port ranges cost nothing to
 * build. Tuples are probed in the order of their best (lowest-index) rule and the search stops
 * when no remaining tuple holds a rule before the match found.
 *
 * <p>Everything is flat primitive arrays; a lookup allocates nothing. Cost is the number of tuples
 * probed (bounded by the grid: at most 9 × 9 × 2 per family) times a hash and a short chain, not
 * the number of rules. The worst case is many rules with the same rounded address pair (a chain
 * as long as those rules): a rule set that differs only by port degrades towards the scan.
 */
final class TupleSpace {
    /** IPv4 prefix lengths are rounded down to a multiple of this for the tuple key. */
    static final int V4_STEP = 4;
    /** IPv6 prefix lengths are rounded down to a multiple of this for the tuple key. */
    static final int V6_STEP = 16;

    private static final int EMPTY = -1;

    private final RuleTable rules;
    private final int tupleCount;
    // per tuple, in order of its first rule
    private final int[] tupleFirstRule;
    private final int[] tupleFamily;        // 4, 6 or 0 (rules without prefixes: either family)
    private final boolean[] tupleKeysProtocol;
    private final long[] srcMaskHigh, srcMaskLow, dstMaskHigh, dstMaskLow;
    private final int[] tupleOffset;        // into buckets
    private final int[] tupleMask;          // bucket count - 1
    // buckets of every tuple, back to back: the first rule of the chain or EMPTY
    private final int[] buckets;
    // per rule: the next rule in its bucket's chain (always a later rule) or EMPTY
    private final int[] next;

    TupleSpace(RuleTable rules) {
        this.rules = rules;
        int size = rules.size();
        int[] tupleOfRule = new int[size];
        Map<Long, Integer> tupleIds = new HashMap<>();
        int[] count = new int[Math.max(16, size)];
        int[] firstRule = new int[count.length];
        int[] keyBits = new int[count.length * 3]; // family, src length, dst length (key lengths)
        boolean[] keysProto = new boolean[count.length];
        for (int i = 0; i < size; i++) {
            int fam = rules.family(i);
            int step = fam == 6 ? V6_STEP : V4_STEP;
            int srcLen = rules.sourceLength(i) / step * step;
            int dstLen = rules.destinationLength(i) / step * step;
            boolean proto = rules.protocol(i) != RuleTable.ANY_PROTOCOL;
            long signature = ((long) fam << 24) | ((long) srcLen << 16) | ((long) dstLen << 8) | (proto ? 1 : 0);
            Integer id = tupleIds.get(signature);
            if (id == null) {
                id = tupleIds.size();
                tupleIds.put(signature, id);
                firstRule[id] = i;
                keyBits[id * 3] = fam;
                keyBits[id * 3 + 1] = srcLen;
                keyBits[id * 3 + 2] = dstLen;
                keysProto[id] = proto;
            }
            tupleOfRule[i] = id;
            count[id]++;
        }
        tupleCount = tupleIds.size();
        tupleFirstRule = Arrays.copyOf(firstRule, tupleCount);
        tupleFamily = new int[tupleCount];
        tupleKeysProtocol = Arrays.copyOf(keysProto, tupleCount);
        srcMaskHigh = new long[tupleCount];
        srcMaskLow = new long[tupleCount];
        dstMaskHigh = new long[tupleCount];
        dstMaskLow = new long[tupleCount];
        tupleOffset = new int[tupleCount];
        tupleMask = new int[tupleCount];
        int total = 0;
        for (int t = 0; t < tupleCount; t++) {
            int fam = keyBits[t * 3];
            tupleFamily[t] = fam;
            long[] s = RuleTable.mask(fam == 6, keyBits[t * 3 + 1]);
            long[] d = RuleTable.mask(fam == 6, keyBits[t * 3 + 2]);
            srcMaskHigh[t] = s[0];
            srcMaskLow[t] = s[1];
            dstMaskHigh[t] = d[0];
            dstMaskLow[t] = d[1];
            int buckets = Integer.highestOneBit(Math.max(1, count[t]) * 2 - 1) << 1; // ≥ 2 × rules: short chains
            tupleOffset[t] = total;
            tupleMask[t] = buckets - 1;
            total += buckets;
        }
        buckets = new int[total];
        Arrays.fill(buckets, EMPTY);
        next = new int[size];
        // last rule first, each pushed at its chain's head: chains end up in table order
        for (int i = size - 1; i >= 0; i--) {
            int t = tupleOfRule[i];
            int h = hash(rules.sourceHigh(i) & srcMaskHigh[t], rules.sourceLow(i) & srcMaskLow[t],
                    rules.destinationHigh(i) & dstMaskHigh[t], rules.destinationLow(i) & dstMaskLow[t],
                    tupleKeysProtocol[t] ? rules.protocol(i) : 0);
            int slot = tupleOffset[t] + (h & tupleMask[t]);
            next[i] = buckets[slot];
            buckets[slot] = i;
        }
    }

    /** The index of the first rule of the table that matches {@code flow}, or -1. */
    int firstMatch(FlowKey flow) {
        int fam = flow.family();
        int proto = flow.protocol();
        long sh = flow.sourceHigh();
        long sl = flow.sourceLow();
        long dh = flow.destinationHigh();
        long dl = flow.destinationLow();
        int best = Integer.MAX_VALUE;
        for (int t = 0; t < tupleCount; t++) {
            if (tupleFirstRule[t] >= best) {
                break; // every later tuple's rules come after the match: none can win
            }
            int tf = tupleFamily[t];
            if (tf != 0 && tf != fam) {
                continue;
            }
            int h = hash(sh & srcMaskHigh[t], sl & srcMaskLow[t], dh & dstMaskHigh[t], dl & dstMaskLow[t],
                    tupleKeysProtocol[t] ? proto : 0);
            for (int r = buckets[tupleOffset[t] + (h & tupleMask[t])]; r != EMPTY && r < best; r = next[r]) {
                if (rules.matches(r, flow)) {
                    best = r;
                    break; // the chain is in table order: the rest of it comes later
                }
            }
        }
        return best == Integer.MAX_VALUE ? -1 : best;
    }

    /** How many tuples a lookup may probe: the cost that grows with the rule set's variety of masks. */
    int tupleCount() {
        return tupleCount;
    }

    /** Bytes held by the index (not the rules): buckets, chains and per-tuple arrays. */
    long indexBytes() {
        return 4L * buckets.length + 4L * next.length + (long) tupleCount * (4 * 4 + 4 * 8 + 1);
    }

    private static int hash(long sh, long sl, long dh, long dl, int proto) {
        long h = sh * 0x9E3779B97F4A7C15L;
        h = (h ^ sl) * 0xC2B2AE3D27D4EB4FL;
        h = (h ^ dh) * 0x165667B19E3779F9L;
        h = (h ^ dl ^ ((long) proto << 56)) * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29) ^ (h >>> 47));
    }
}
