package io.astaire.dataplane.classify;

import io.astaire.wire.FlowKey;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Classifies packets to a service path: a {@link FlowCache} in front of a {@link RuleTable}. A
 * hit costs a hash and a few compares; a miss looks the flow up in the table's index once and
 * caches the rule it found for the flow. The caller passes the rules it read once for its batch ({@link #classify(RuleTable,
 * FlowKey)}: an edge takes them from the same published tables as its routes, so a batch never
 * mixes two versions); when they are not the ones of the last call, the cache is dropped. One per
 * worker thread; counters are single-writer longs that a metrics thread may read.
 */
public final class Classifier {
    /** Null when the caller passes the rules with each call. */
    private final ClassifierTable table;
    private final FlowCache cache;
    private RuleTable current;
    private long hits;
    private long misses;

    private static final VarHandle HITS;
    private static final VarHandle MISSES;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            HITS = lookup.findVarHandle(Classifier.class, "hits", long.class);
            MISSES = lookup.findVarHandle(Classifier.class, "misses", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Classifies with the rules {@code table} holds at each call ({@link #classify(FlowKey)}). */
    public Classifier(ClassifierTable table, int cacheCapacity) {
        this.table = table;
        this.cache = new FlowCache(cacheCapacity);
        this.current = table.current();
    }

    /** Classifies with the rules passed to each call ({@link #classify(RuleTable, FlowKey)}). */
    public Classifier(int cacheCapacity) {
        this.table = null;
        this.cache = new FlowCache(cacheCapacity);
    }

    /** The SPI for {@code flow}'s packets by the table's current rules, or {@link RuleTable#NO_MATCH} (drop). */
    public int classify(FlowKey flow) {
        return classify(table.current(), flow);
    }

    /** The SPI for {@code flow}'s packets by {@code t}, or {@link RuleTable#NO_MATCH} (drop). */
    public int classify(RuleTable t, FlowKey flow) {
        return t.spiOf(match(t, flow));
    }

    /**
     * The index of the first rule of {@code t} that matches {@code flow}, or -1 (the default
     * chain, or a drop): what {@link RuleHits} counts by; {@link RuleTable#spiOf(int)} gives the SPI.
     */
    public int match(RuleTable t, FlowKey flow) {
        if (t != current) {
            current = t;
            cache.clear();
        }
        int rule = cache.get(flow);
        if (rule != FlowCache.ABSENT) {
            HITS.setRelease(this, hits + 1); // single writer: an ordered store, no lock prefix
            return rule;
        }
        return miss(flow, t);
    }

    private int miss(FlowKey flow, RuleTable t) {
        MISSES.setRelease(this, misses + 1);
        int rule = t.firstMatch(flow);
        cache.put(flow, rule);
        return rule;
    }

    /** Packets answered from the flow cache. */
    public long hits() {
        return (long) HITS.getAcquire(this);
    }

    /** Packets whose flow was not cached: each one was looked up in the rules. */
    public long misses() {
        return (long) MISSES.getAcquire(this);
    }
}
