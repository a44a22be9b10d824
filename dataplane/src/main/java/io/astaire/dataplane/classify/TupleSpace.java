package io.astaire.dataplane.classify;

import io.astaire.wire.FlowKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An index over one {@link RuleTable} that finds the first matching rule without scanning them
 * all: tuple space search with priority pruning, with tuples chosen the way TupleMerge does.
 *
 * <p>A <em>tuple</em> is a mask shape: family, source and destination prefix length. Each tuple is
 * a hash table keyed by the flow's addresses under the tuple's masks. A rule can live in any tuple
 * whose masks its prefixes cover (a /27 in a /16 tuple: the rule itself is verified on a hit), so
 * the build puts each rule, in table order, in the most specific existing tuple that covers it
 * while the rule's bucket there holds fewer than {@link #BUCKET_LIMIT} rules; only when none has
 * room does it open a tuple on the grid ({@link #V4_STEP}, {@link #V6_STEP}), or, when that is full
 * there too, one of the rule's exact lengths (where only rules with the very same addresses pile
 * up). Few tuples to probe, short buckets. A bucket's rules sit side by side in table order, each
 * packed with its whole match (addresses, masks, protocol, ports) in one run of longs, so verifying
 * one touches one or two cache lines. Protocol and ports are verified, not keyed: port ranges cost
 * nothing to build. Tuples are probed in the order of their first rule and the search stops once
 * no remaining tuple holds a rule before the match found.
 *
 * <p>Flat primitive arrays; a lookup allocates nothing. Its cost is the tuples probed times a hash
 * plus one bucket's rules, not the number of rules. The worst case is many rules with the same
 * addresses, differing only by port or protocol: they share a bucket of their exact tuple and are
 * verified one after the other, like the scan.
 */
final class TupleSpace {
    /** IPv4 prefix lengths are rounded down to a multiple of this for the tuple key. */
    static final int V4_STEP = 8;
    /** IPv6 prefix lengths are rounded down to a multiple of this for the tuple key. */
    static final int V6_STEP = 16;
    /** A tuple takes a rule only while the rule's bucket there holds fewer rules than this. */
    static final int BUCKET_LIMIT = 16;

    // one packed rule: 8 address/mask words, then protocol/family/flags/rule, then the port ranges
    private static final int SRC_HIGH = 0, SRC_LOW = 1, DST_HIGH = 2, DST_LOW = 3;
    private static final int SRC_MASK_HIGH = 4, SRC_MASK_LOW = 5, DST_MASK_HIGH = 6, DST_MASK_LOW = 7;
    private static final int META = 8, PORTS = 9, STRIDE = 10;
    // META: rule index in the low 32 bits, then protocol (9 bits: 256 is any), family (3), flags
    private static final int META_PROTOCOL_SHIFT = 32, META_FAMILY_SHIFT = 41;
    private static final long SRC_PORTS_ANY = 1L << 44, DST_PORTS_ANY = 1L << 45;
    private static final int PROTOCOL_ANY = 256;
    /** Per tuple: first rule, family, bucket offset and mask (ints), 4 masks (longs). */
    private static final int BYTES_PER_TUPLE = 4 * 4 + 4 * 8;
    /** {@link #indexBytes()} beside what grows with the rules: the bucket array's last bound. */
    static final int FIXED_BYTES = 4;

    private final int tupleCount;
    // per tuple, in order of its first rule
    private final int[] tupleFirstRule;
    private final int[] tupleFamily;        // 4, 6 or 0 (rules without prefixes: either family)
    private final long[] tupleMasks;        // 4 per tuple: source high, low, destination high, low
    private final int[] tupleOffset;        // its first bucket in bucketStart
    private final int[] tupleBucketMask;    // its bucket count - 1
    // bucket b's rules are entries bucketStart[b] .. bucketStart[b + 1] - 1, in table order
    private final int[] bucketStart;
    private final long[] entries;

    TupleSpace(RuleTable rules) {
        int size = rules.size();
        int[] tupleOfRule = new int[size];
        List<Shape> shapes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            tupleOfRule[i] = place(rules, i, shapes);
        }
        tupleCount = shapes.size();
        tupleFirstRule = new int[tupleCount];
        tupleFamily = new int[tupleCount];
        tupleMasks = new long[tupleCount * 4];
        tupleOffset = new int[tupleCount];
        tupleBucketMask = new int[tupleCount];
        int totalBuckets = 0;
        for (int t = 0; t < tupleCount; t++) {
            Shape shape = shapes.get(t);
            tupleFirstRule[t] = shape.firstRule;
            tupleFamily[t] = shape.family;
            System.arraycopy(shape.masks, 0, tupleMasks, t * 4, 4);
            int buckets = Integer.highestOneBit(Math.max(1, shape.rules) * 2 - 1) << 1; // ≥ 2 × rules: short buckets
            tupleOffset[t] = totalBuckets;
            tupleBucketMask[t] = buckets - 1;
            totalBuckets += buckets;
        }
        // counting sort of the rules by bucket, stable: each bucket's rules stay in table order
        int[] bucketOfRule = new int[size];
        bucketStart = new int[totalBuckets + 1];
        for (int i = 0; i < size; i++) {
            int t = tupleOfRule[i];
            int h = tupleFamily[t] == 6
                    ? hash(rules.sourceHigh(i) & tupleMasks[t * 4], rules.sourceLow(i) & tupleMasks[t * 4 + 1],
                            rules.destinationHigh(i) & tupleMasks[t * 4 + 2], rules.destinationLow(i) & tupleMasks[t * 4 + 3])
                    : hash(rules.sourceLow(i) & tupleMasks[t * 4 + 1], rules.destinationLow(i) & tupleMasks[t * 4 + 3]);
            bucketOfRule[i] = tupleOffset[t] + (h & tupleBucketMask[t]);
            bucketStart[bucketOfRule[i] + 1]++;
        }
        for (int b = 0; b < totalBuckets; b++) {
            bucketStart[b + 1] += bucketStart[b];
        }
        int[] fill = Arrays.copyOf(bucketStart, totalBuckets);
        entries = new long[size * STRIDE];
        for (int i = 0; i < size; i++) {
            pack(rules, i, fill[bucketOfRule[i]]++ * STRIDE);
        }
    }

    /** A tuple while the index is built: its mask and how many rules each of its keys holds. */
    private static final class Shape {
        final int family, sourceLength, destinationLength, firstRule;
        final long[] masks;
        final Map<Key, Integer> keys = new HashMap<>();
        int rules;

        Shape(int family, int sourceLength, int destinationLength, int firstRule) {
            this.family = family;
            this.sourceLength = sourceLength;
            this.destinationLength = destinationLength;
            this.firstRule = firstRule;
            long[] s = RuleTable.mask(family == 6, sourceLength);
            long[] d = RuleTable.mask(family == 6, destinationLength);
            masks = new long[] {s[0], s[1], d[0], d[1]};
        }

        boolean covers(int fam, int srcLen, int dstLen) {
            return family == fam && sourceLength <= srcLen && destinationLength <= dstLen;
        }

        Key key(RuleTable rules, int i) {
            return new Key(rules.sourceHigh(i) & masks[0], rules.sourceLow(i) & masks[1],
                    rules.destinationHigh(i) & masks[2], rules.destinationLow(i) & masks[3]);
        }

        void add(Key key) {
            keys.merge(key, 1, Integer::sum);
            rules++;
        }
    }

    private record Key(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow) {}

    /**
     * The tuple rule {@code i} goes to, made if need be (TupleMerge's idea): the most specific
     * existing tuple whose mask the rule's prefixes cover and whose bucket for it holds fewer than
     * {@link #BUCKET_LIMIT} rules; else a new tuple on the grid; else (the grid's tuple is full
     * there too) the tuple of the rule's exact lengths, where only rules with the very same
     * addresses can pile up. Rules come in table order, so a tuple's first rule is its best.
     */
    private static int place(RuleTable rules, int i, List<Shape> shapes) {
        int fam = rules.family(i);
        int srcLen = rules.sourceLength(i);
        int dstLen = rules.destinationLength(i);
        int chosen = -1;
        Key chosenKey = null;
        for (int t = 0; t < shapes.size(); t++) {
            Shape shape = shapes.get(t);
            if (!shape.covers(fam, srcLen, dstLen)
                    || chosen >= 0 && shape.sourceLength + shape.destinationLength
                            <= shapes.get(chosen).sourceLength + shapes.get(chosen).destinationLength) {
                continue;
            }
            Key key = shape.key(rules, i);
            if (shape.keys.getOrDefault(key, 0) < BUCKET_LIMIT) {
                chosen = t;
                chosenKey = key;
            }
        }
        if (chosen < 0) {
            int step = fam == 6 ? V6_STEP : V4_STEP;
            chosen = find(shapes, fam, srcLen / step * step, dstLen / step * step);
            if (chosen < 0) {
                shapes.add(new Shape(fam, srcLen / step * step, dstLen / step * step, i));
                chosen = shapes.size() - 1;
            } else {
                chosen = find(shapes, fam, srcLen, dstLen);
                if (chosen < 0) {
                    shapes.add(new Shape(fam, srcLen, dstLen, i));
                    chosen = shapes.size() - 1;
                }
            }
            chosenKey = shapes.get(chosen).key(rules, i);
        }
        shapes.get(chosen).add(chosenKey);
        return chosen;
    }

    private static int find(List<Shape> shapes, int fam, int srcLen, int dstLen) {
        for (int t = 0; t < shapes.size(); t++) {
            Shape s = shapes.get(t);
            if (s.family == fam && s.sourceLength == srcLen && s.destinationLength == dstLen) {
                return t;
            }
        }
        return -1;
    }

    private void pack(RuleTable rules, int i, int at) {
        long[] m = rules.masks(i);
        entries[at + SRC_HIGH] = rules.sourceHigh(i);
        entries[at + SRC_LOW] = rules.sourceLow(i);
        entries[at + DST_HIGH] = rules.destinationHigh(i);
        entries[at + DST_LOW] = rules.destinationLow(i);
        entries[at + SRC_MASK_HIGH] = m[0];
        entries[at + SRC_MASK_LOW] = m[1];
        entries[at + DST_MASK_HIGH] = m[2];
        entries[at + DST_MASK_LOW] = m[3];
        int proto = rules.protocol(i) == RuleTable.ANY_PROTOCOL ? PROTOCOL_ANY : rules.protocol(i);
        int[] ports = rules.ports(i); // source from, to, destination from, to; -1 for any
        entries[at + META] = i | (long) proto << META_PROTOCOL_SHIFT | (long) rules.family(i) << META_FAMILY_SHIFT
                | (ports[0] < 0 ? SRC_PORTS_ANY : 0) | (ports[2] < 0 ? DST_PORTS_ANY : 0);
        entries[at + PORTS] = (long) (ports[0] & 0xFFFF) << 48 | (long) (ports[1] & 0xFFFF) << 32
                | (long) (ports[2] & 0xFFFF) << 16 | ports[3] & 0xFFFF;
    }

    /** The index of the first rule of the table that matches {@code flow}, or -1. */
    int firstMatch(FlowKey flow) {
        int fam = flow.family();
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
            int m = t * 4;
            int h = tf == 6 ? hash(sh & tupleMasks[m], sl & tupleMasks[m + 1], dh & tupleMasks[m + 2], dl & tupleMasks[m + 3])
                    : hash(sl & tupleMasks[m + 1], dl & tupleMasks[m + 3]); // IPv4 (or no prefix): one word
            int b = tupleOffset[t] + (h & tupleBucketMask[t]);
            for (int e = bucketStart[b], end = bucketStart[b + 1]; e < end; e++) {
                int at = e * STRIDE;
                int rule = (int) entries[at + META];
                if (rule >= best) {
                    break; // the bucket is in table order: the rest of it comes later
                }
                if (matches(at, flow, sh, sl, dh, dl)) {
                    best = rule;
                    break;
                }
            }
        }
        return best == Integer.MAX_VALUE ? -1 : best;
    }

    private boolean matches(int at, FlowKey flow, long sh, long sl, long dh, long dl) {
        long[] x = entries;
        if ((sl & x[at + SRC_MASK_LOW]) != x[at + SRC_LOW] || (dl & x[at + DST_MASK_LOW]) != x[at + DST_LOW]
                || (sh & x[at + SRC_MASK_HIGH]) != x[at + SRC_HIGH] || (dh & x[at + DST_MASK_HIGH]) != x[at + DST_HIGH]) {
            return false;
        }
        long meta = x[at + META];
        int proto = flow.protocol();
        int ruleProto = (int) (meta >>> META_PROTOCOL_SHIFT) & 0x1FF;
        if (ruleProto != PROTOCOL_ANY && ruleProto != proto) {
            return false;
        }
        int ruleFamily = (int) (meta >>> META_FAMILY_SHIFT) & 0x7;
        if (ruleFamily != 0 && ruleFamily != flow.family()) {
            return false;
        }
        boolean anySrc = (meta & SRC_PORTS_ANY) != 0;
        boolean anyDst = (meta & DST_PORTS_ANY) != 0;
        if (anySrc && anyDst) {
            return true;
        }
        if (proto != 6 && proto != 17) {
            return false; // a rule with ports matches only TCP and UDP
        }
        long ports = x[at + PORTS];
        int sp = flow.sourcePort();
        int dp = flow.destinationPort();
        return (anySrc || sp >= (int) (ports >>> 48) && sp <= ((int) (ports >>> 32) & 0xFFFF))
                && (anyDst || dp >= ((int) (ports >>> 16) & 0xFFFF) && dp <= ((int) ports & 0xFFFF));
    }

    /** How many tuples a lookup may probe: the cost that grows with the rule set's variety of masks. */
    int tupleCount() {
        return tupleCount;
    }

    /** Bytes held by the index: packed rules, buckets and per-tuple arrays. */
    long indexBytes() {
        return 8L * entries.length + 4L * bucketStart.length + (long) tupleCount * BYTES_PER_TUPLE;
    }

    /**
     * The most {@link #indexBytes()} grows per rule: its packed match, under 4 buckets (a tuple of
     * r rules gets the power of two above 2r - 1, doubled: at most 4r - 2) and a tuple of its own.
     */
    static int maxBytesPerRule() {
        return STRIDE * 8 + 4 * 4 + BYTES_PER_TUPLE;
    }

    /** The least {@link #indexBytes()} grows per rule: its packed match and 2 buckets. */
    static int minBytesPerRule() {
        return STRIDE * 8 + 2 * 4;
    }

    /** The hash of an IPv4 key (or of a tuple without prefixes): both addresses fit in one word. */
    private static int hash(long sourceLow, long destinationLow) {
        return mix(sourceLow << 32 | destinationLow);
    }

    private static int hash(long sh, long sl, long dh, long dl) {
        return mix(sh * 0x9E3779B97F4A7C15L + sl * 0xC2B2AE3D27D4EB4FL + dh * 0x165667B19E3779F9L + dl);
    }

    /**
     * MurmurHash3's finaliser: masked keys have their variety in the high bits (a /8 is the top
     * byte), so the high bits must reach the low ones the bucket index takes.
     */
    private static int mix(long h) {
        h = (h ^ (h >>> 33)) * 0xFF51AFD7ED558CCDL;
        h = (h ^ (h >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return (int) (h ^ (h >>> 33));
    }
}
