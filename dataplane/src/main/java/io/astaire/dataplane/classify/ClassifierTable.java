package io.astaire.dataplane.classify;

import java.util.Objects;

/**
 * The current {@link RuleTable}, shared by every worker's {@link Classifier}: replaced whole when
 * the topology changes (copy-on-write), read with one volatile load per packet.
 */
public final class ClassifierTable {
    private volatile RuleTable current;

    public ClassifierTable(RuleTable initial) {
        this.current = Objects.requireNonNull(initial);
    }

    public RuleTable current() {
        return current;
    }

    /** Publishes a new table; classifiers drop their flow caches when they next see it. */
    public void update(RuleTable next) {
        this.current = Objects.requireNonNull(next);
    }
}
