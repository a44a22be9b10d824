package io.astaire.function;

/**
 * A function's configuration cannot be used. The message starts with the path of the offending
 * field in the topology, for example {@code functions.acl.config.rules[1].action: 'alow' is not allow|deny}.
 */
public final class FunctionConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String field;

    public FunctionConfigException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public FunctionConfigException(String field, String problem, Throwable cause) {
        super(field + ": " + problem, cause);
        this.field = field;
    }

    /** The offending field as a path into the topology ({@code functions.limit.config.rate}). */
    public String field() {
        return field;
    }
}
