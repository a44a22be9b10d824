package io.astaire.model;

/** A chain spec that cannot be used, with the path of the offending field ({@code chains[0].spi}). */
public final class ModelException extends RuntimeException {
    private final String field;

    public ModelException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** The offending field, as a path into the spec, for example {@code rules[2].destinationPorts}. */
    public String field() {
        return field;
    }
}
