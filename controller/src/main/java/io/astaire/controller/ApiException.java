package io.astaire.controller;

/**
 * A request the registry refuses, with the HTTP status that says why and, when one field is to
 * blame, its path ({@code chains[web].functions[1]}).
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String field;

    public ApiException(int status, String field, String message) {
        super(message);
        this.status = status;
        this.field = field;
    }

    public int status() {
        return status;
    }

    /** The offending field, or null when the whole request is at fault. */
    public String field() {
        return field;
    }

    public static ApiException badRequest(String field, String message) {
        return new ApiException(400, field, message);
    }

    public static ApiException notFound(Kind kind, String name) {
        return new ApiException(404, null, "no " + kind.singular() + " named '" + name + "'");
    }

    public static ApiException conflict(String field, String message) {
        return new ApiException(409, field, message);
    }

    public static ApiException invalid(String field, String message) {
        return new ApiException(422, field, message);
    }
}
