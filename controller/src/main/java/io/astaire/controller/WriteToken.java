package io.astaire.controller;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The bearer token that guards writes. Given on the command line or in {@code ASTAIRE_TOKEN}, or
 * else generated at first start and kept beside the database ({@code astaire.db.token}, mode 600, see {@link SecretFile}),
 * so a restart keeps the token operators and scripts already use.
 */
public final class WriteToken {
    private final String value;
    private final Path file;
    private final boolean generated;

    private WriteToken(String value, Path file, boolean generated) {
        this.value = value;
        this.file = file;
        this.generated = generated;
    }

    /** The token given by the operator. */
    public static WriteToken given(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--token: is empty");
        }
        return new WriteToken(value.trim(), null, false);
    }

    /**
     * The token stored beside {@code database}, created (random, 256 bits, mode 600 from the first
     * byte) when there is none yet; refused when that file is readable by group or others.
     */
    public static WriteToken besideDatabase(Path database) {
        SecretFile.Secret s = SecretFile.readOrCreate(tokenFile(database), "write token");
        return new WriteToken(s.value(), s.file(), s.generated());
    }

    /** Where a generated token lives for {@code database}: the same name with {@code .token} appended. */
    public static Path tokenFile(Path database) {
        Path abs = database.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".token");
    }

    public String value() {
        return value;
    }

    /** The file holding the token, or null when it was given. */
    public Path file() {
        return file;
    }

    @Override
    public String toString() {
        return "WriteToken[" + (file == null ? "given" : file) + "]"; // never the value: this may reach a log
    }

    /** True when this start created the token: the one time it is printed. */
    public boolean generated() {
        return generated;
    }

    /** Compares in constant time, so response timing tells nothing about the token. */
    public boolean matches(String candidate) {
        if (candidate == null) {
            return false;
        }
        return MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8), candidate.trim().getBytes(StandardCharsets.UTF_8));
    }
}
