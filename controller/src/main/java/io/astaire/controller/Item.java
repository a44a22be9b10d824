package io.astaire.controller;

/**
 * A stored item and the global version at which it was last written. The version is the item's
 * ETag: a client that read version 7 and writes with {@code If-Match: "7"} fails with 412 if
 * anyone wrote the item since.
 */
public record Item<T>(T spec, long version) {

    public String etag() {
        return etag(version);
    }

    public static String etag(long version) {
        return "\"" + version + "\"";
    }
}
