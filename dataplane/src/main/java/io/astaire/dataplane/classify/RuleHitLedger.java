package io.astaire.dataplane.classify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Rule and chain hit counts that outlive a table swap: a rule that stays (by name) keeps counting
 * from where it was, a chain keeps its total. The counts of replaced tables are folded in by name
 * once no worker can count into them any more: every worker has published a newer generation
 * ({@code oldestInUse}, read with acquire after the workers' release stores, so every count they
 * made in the old table is seen). Until then an old table's counts are added live. Rules and
 * chains that leave the rule set are forgotten.
 *
 * <p>Published by the edge's updating thread, read by the metrics thread; the packet path never
 * touches it.
 */
public final class RuleHitLedger {
    private final LongSupplier oldestInUse;
    private final List<RuleHits> retiring = new ArrayList<>();
    private final Map<String, Long> retiredRules = new HashMap<>();
    private final Map<String, Long> retiredChains = new HashMap<>();
    private long retiredUnmatched;
    private RuleHits current;

    /**
     * @param oldestInUse the lowest {@link RuleHits#generation()} any worker may still count into
     */
    public RuleHitLedger(RuleHits first, LongSupplier oldestInUse) {
        this.current = first;
        this.oldestInUse = oldestInUse;
    }

    /** The table's counts that replace the current ones; the current ones retire. */
    public synchronized void publish(RuleHits next) {
        if (next == current) {
            return;
        }
        retiring.add(current);
        current = next;
        fold();
    }

    /** Hits of every rule of the current table, in table order, and of every chain they and the default take. */
    public synchronized Snapshot snapshot() {
        fold();
        RuleNames table = current.names();
        long[] rules = new long[table.size()];
        Map<String, Long> chains = new LinkedHashMap<>();
        for (int i = 0; i < rules.length; i++) {
            rules[i] = current.get(i) + retiredRules.getOrDefault(table.rule(i), 0L);
            chains.putIfAbsent(table.chain(i), retiredChains.getOrDefault(table.chain(i), 0L));
        }
        if (table.defaultChain() != null) {
            chains.putIfAbsent(table.defaultChain(), retiredChains.getOrDefault(table.defaultChain(), 0L));
        }
        List<RuleHits> live = new ArrayList<>(retiring);
        live.add(current);
        long unmatched = retiredUnmatched;
        for (RuleHits h : live) {
            addChains(h, chains);
            unmatched += h.get(-1);
        }
        for (RuleHits h : retiring) { // rare: only while a worker has not moved on yet
            Map<String, Integer> index = new HashMap<>();
            for (int i = 0; i < h.names().size(); i++) {
                index.put(h.names().rule(i), i);
            }
            for (int i = 0; i < rules.length; i++) {
                Integer old = index.get(table.rule(i));
                rules[i] += old == null ? 0 : h.get(old);
            }
        }
        return new Snapshot(table, rules, chains, unmatched);
    }

    /** Adds {@code h}'s counts to the chains in {@code chains} (the others have left). */
    private static void addChains(RuleHits h, Map<String, Long> chains) {
        RuleNames t = h.names();
        for (int i = 0; i < t.size(); i++) {
            long n = h.get(i);
            chains.computeIfPresent(t.chain(i), (k, v) -> v + n);
        }
        if (t.defaultChain() != null) {
            chains.computeIfPresent(t.defaultChain(), (k, v) -> v + h.get(-1));
        }
    }

    /** Moves the counts of tables no worker uses any more into the retired totals, for the rules and chains that remain. */
    private void fold() {
        long oldest = oldestInUse.getAsLong();
        boolean folded = false;
        for (Iterator<RuleHits> it = retiring.iterator(); it.hasNext(); ) {
            RuleHits h = it.next();
            if (h.generation() >= oldest) {
                continue;
            }
            RuleNames t = h.names();
            for (int i = 0; i < t.size(); i++) {
                retiredRules.merge(t.rule(i), h.get(i), Long::sum);
                retiredChains.merge(t.chain(i), h.get(i), Long::sum);
            }
            if (t.defaultChain() != null) {
                retiredChains.merge(t.defaultChain(), h.get(-1), Long::sum);
            }
            retiredUnmatched += h.get(-1);
            it.remove();
            folded = true;
        }
        if (folded) {
            forgetLeavers();
        }
    }

    /** Drops the totals of rules and chains in no table still counted: they left the rule set. */
    private void forgetLeavers() {
        java.util.Set<String> rules = new java.util.HashSet<>();
        java.util.Set<String> chains = new java.util.HashSet<>();
        List<RuleHits> live = new ArrayList<>(retiring);
        live.add(current);
        for (RuleHits h : live) {
            RuleNames t = h.names();
            for (int i = 0; i < t.size(); i++) {
                rules.add(t.rule(i));
                chains.add(t.chain(i));
            }
            if (t.defaultChain() != null) {
                chains.add(t.defaultChain());
            }
        }
        retiredRules.keySet().retainAll(rules);
        retiredChains.keySet().retainAll(chains);
    }

    /**
     * Counts at one moment.
     *
     * @param names the current table's rules
     * @param rules hits of its rules, by rule index (packets, since the rule's name first appeared)
     * @param chains hits per chain name: its rules' and, for the default chain, the unmatched traffic's
     * @param unmatched packets no rule matched, ever (to the default chain, or dropped)
     */
    public record Snapshot(RuleNames names, long[] rules, Map<String, Long> chains, long unmatched) {}
}
