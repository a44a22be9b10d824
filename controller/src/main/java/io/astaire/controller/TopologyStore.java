package io.astaire.controller;

import java.util.List;

/**
 * Where the registry keeps its items between restarts. {@link #commit} is all or nothing: after a
 * crash the store holds either the previous version or the new one, never a mix.
 */
public interface TopologyStore extends AutoCloseable {

    /** One item written ({@code item != null}) or deleted ({@code item == null}). */
    record Change(Kind kind, String name, Item<?> item) {}

    /** Everything stored, as the state the registry starts from. */
    RegistryState load();

    /** Applies {@code changes} and records the new global version and SPI counter, in one transaction. */
    void commit(long version, long nextSpi, List<Change> changes);

    /** A human-readable description of where the data lives, for logs and errors. */
    String location();

    @Override
    void close();
}
