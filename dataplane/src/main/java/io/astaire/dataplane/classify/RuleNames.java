package io.astaire.dataplane.classify;

/**
 * The names of a {@link RuleTable}'s rules and their chains, in table order, without the table's
 * arrays and index: what hit counts are reported by, kept after the table itself is dropped.
 */
public final class RuleNames {
    private final String[] rules;
    private final String[] chains;
    private final String defaultChain;

    RuleNames(String[] rules, String[] chains, String defaultChain) {
        this.rules = rules; // the table's own arrays, never written after its build
        this.chains = chains;
        this.defaultChain = defaultChain;
    }

    public int size() {
        return rules.length;
    }

    /** The name of rule {@code index}. */
    public String rule(int index) {
        return rules[index];
    }

    /** The chain of rule {@code index}. */
    public String chain(int index) {
        return chains[index];
    }

    /** The chain unmatched traffic takes, or null when it is dropped. */
    public String defaultChain() {
        return defaultChain;
    }
}
