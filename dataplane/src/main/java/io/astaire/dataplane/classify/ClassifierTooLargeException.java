package io.astaire.dataplane.classify;

/**
 * A rule set whose classifier (rules and index, {@link RuleTable#memoryBytes()}) would exceed the
 * memory bound: refused before anything is replaced, by the controller's API and by an edge.
 */
public final class ClassifierTooLargeException extends IllegalArgumentException {
    private final int rules;
    private final long bytes;
    private final long limit;

    /**
     * @param bytes what the classifier would hold; when {@code atLeast}, a lower bound (the table
     *     was not built because even that exceeds the limit)
     */
    ClassifierTooLargeException(int rules, long bytes, boolean atLeast, long limit) {
        super(rules + " classifier rules would take " + (atLeast ? "at least " : "") + bytes + " bytes ("
                + ClassifierLimit.describe(bytes) + ") of classifier memory, over the limit of " + ClassifierLimit.describe(limit)
                + " (--max-classifier-memory); remove or merge rules, or raise the limit on the controller and on the edges");
        this.rules = rules;
        this.bytes = bytes;
        this.limit = limit;
    }

    public int rules() {
        return rules;
    }

    /** The classifier's size, or a lower bound of it. */
    public long bytes() {
        return bytes;
    }

    public long limit() {
        return limit;
    }
}
