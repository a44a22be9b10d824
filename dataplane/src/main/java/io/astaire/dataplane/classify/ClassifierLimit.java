package io.astaire.dataplane.classify;

import io.astaire.model.Topology;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory bound on one classifier ({@link RuleTable#memoryBytes()}: the rules' arrays and the
 * tuple space index), applied the same way by the controller, before it stores a rule set, and by
 * the edges, before they swap a table in.
 *
 * <p>The check is cheap where it can be and exact where it matters: a table's size lies between
 * {@link #lowerBound(int)} and {@link #upperBound(int)} bytes for its number of rules (the index's
 * buckets and tuples vary with the rules' masks). Under the limit by the upper bound: accepted
 * without building. Over it by the lower bound: refused without building. In between the table is
 * built and measured, as the edge will build it.
 */
public final class ClassifierLimit {
    /** 64 MiB: 100 000 firewall-like rules take about 20 MB. */
    public static final long DEFAULT_BYTES = 64L << 20;
    public static final ClassifierLimit DEFAULT = new ClassifierLimit(DEFAULT_BYTES);

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]i?b?|b)?", Pattern.CASE_INSENSITIVE);

    private final long maxBytes;

    public ClassifierLimit(long maxBytes) {
        if (maxBytes < 1 << 20) {
            throw new IllegalArgumentException("--max-classifier-memory must be at least 1MiB, was " + describe(maxBytes));
        }
        this.maxBytes = maxBytes;
    }

    /**
     * Parses {@code 64MiB}, {@code 64m}, {@code 512k}, {@code 1g} or a plain number of bytes
     * (binary multiples: k is 1024).
     */
    public static ClassifierLimit parse(String text) {
        Matcher m = SIZE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("--max-classifier-memory: '" + text + "' is not a size; write e.g. 64MiB, 512k or 1g");
        }
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (unit.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        long value;
        try {
            value = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--max-classifier-memory: '" + text + "' is too large");
        }
        if (value > Long.MAX_VALUE >> shift) {
            throw new IllegalArgumentException("--max-classifier-memory: '" + text + "' is too large");
        }
        return new ClassifierLimit(value << shift);
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * The most a table of {@code rules} rules holds: the rules' arrays, every packed rule, fewer
     * than 4 buckets per rule (a tuple gets at least twice its rules, rounded up to a power of
     * two) and at most one tuple per rule.
     */
    public static long upperBound(int rules) {
        return (RuleTable.BYTES_PER_RULE + TupleSpace.maxBytesPerRule()) * rules + TupleSpace.FIXED_BYTES;
    }

    /** The least a table of {@code rules} rules holds: the rules' arrays, every packed rule and two buckets each. */
    public static long lowerBound(int rules) {
        return (RuleTable.BYTES_PER_RULE + TupleSpace.minBytesPerRule()) * rules + TupleSpace.FIXED_BYTES;
    }

    /** The ingress's table of {@code topology} (the larger of the two edges'), checked against this limit. */
    public RuleTable forward(Topology topology) {
        int rules = topology.orderedRules().size();
        refuseWithoutBuilding(rules);
        return check(RuleTable.forward(topology));
    }

    /** The egress's table of {@code topology}, checked against this limit. */
    public RuleTable reverse(Topology topology) {
        refuseWithoutBuilding(RuleTable.reverseRuleCount(topology));
        return check(RuleTable.reverse(topology));
    }

    /**
     * Throws {@link ClassifierTooLargeException} when the ingress's classifier of {@code topology}
     * (every rule; the egress's holds only the symmetric chains' ones) would exceed this limit;
     * builds the table only when the bounds cannot tell.
     */
    public void check(Topology topology) {
        int rules = topology.orderedRules().size();
        if (upperBound(rules) <= maxBytes) {
            return;
        }
        forward(topology);
    }

    private void refuseWithoutBuilding(int rules) {
        long least = lowerBound(rules);
        if (least > maxBytes) {
            throw new ClassifierTooLargeException(rules, least, true, maxBytes);
        }
    }

    private RuleTable check(RuleTable table) {
        if (table.memoryBytes() > maxBytes) {
            throw new ClassifierTooLargeException(table.size(), table.memoryBytes(), false, maxBytes);
        }
        return table;
    }

    /** {@code 64 MiB}, {@code 1.5 GiB}, {@code 900 KiB}, {@code 12 bytes}. */
    static String describe(long bytes) {
        if (bytes < 1024) {
            return bytes + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v)) + " " + units[u];
    }

    @Override
    public String toString() {
        return describe(maxBytes);
    }
}
