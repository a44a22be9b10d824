package io.astaire.controller;

import io.astaire.model.NodeToken;
import java.nio.file.Path;

/**
 * The secret node tokens are derived from ({@link NodeToken}): separate from the write token, so a
 * node, which must hold its credential, can report status but never change configuration. Given
 * in a file ({@code --node-token-file}) or {@code ASTAIRE_NODE_TOKEN}, else generated at first
 * start and kept beside the database ({@code <db>.node-token}, mode 600).
 */
public final class NodeSecret {
    private final String value;
    private final Path file;
    private final boolean generated;

    private NodeSecret(String value, Path file, boolean generated) {
        if (value.isBlank() || value.chars().anyMatch(c -> c == ':' || Character.isWhitespace(c))) {
            throw new IllegalArgumentException("the node secret " + (file == null ? "given" : "in " + file)
                    + " is empty or holds ':' or white space; it must be one word (a node token, NAME:TOKEN, is not a node secret)");
        }
        this.value = value;
        this.file = file;
        this.generated = generated;
    }

    /** The secret given by the operator ({@code ASTAIRE_NODE_TOKEN}). */
    public static NodeSecret given(String value) {
        return new NodeSecret(value.trim(), null, false);
    }

    /** The secret in {@code file}, which must exist and be private to its owner. */
    public static NodeSecret fromFile(Path file) {
        return new NodeSecret(SecretFile.read(file, "node token"), file.toAbsolutePath().normalize(), false);
    }

    /** The secret kept beside {@code database}, generated when there is none yet. */
    public static NodeSecret besideDatabase(Path database) {
        SecretFile.Secret s = SecretFile.readOrCreate(fileBeside(database), "node token");
        return new NodeSecret(s.value(), s.file(), s.generated());
    }

    /** A fresh secret held in memory only (tests, in-process controllers). */
    public static NodeSecret random() {
        return new NodeSecret(SecretFile.random(), null, true);
    }

    public static Path fileBeside(Path database) {
        Path abs = database.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".node-token");
    }

    /** Whether {@code bearer} is node {@code name}'s token. */
    public boolean admits(String name, String bearer) {
        return NodeToken.verify(value, name, bearer);
    }

    /** The token to give node {@code name} alone: {@code NAME:TOKEN}. */
    public String tokenFor(String name) {
        return NodeToken.bound(value, name);
    }

    /** The secret itself: what a fleet whose names are known only at run time (Kubernetes pods) is given. */
    public String value() {
        return value;
    }

    public Path file() {
        return file;
    }

    public boolean generated() {
        return generated;
    }

    @Override
    public String toString() {
        return "NodeSecret[" + (file == null ? "given" : file) + "]";
    }
}
