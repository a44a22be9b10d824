package io.astaire.controller;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The bearer token that guards writes. Given on the command line or in {@code ASTAIRE_TOKEN}, or
 * else generated at first start and kept beside the database ({@code astaire.db.token}, mode 600),
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

    /** The token stored beside {@code database}, created (random, 256 bits) when there is none yet. */
    public static WriteToken besideDatabase(Path database) {
        Path file = tokenFile(database);
        try {
            if (Files.exists(file)) {
                String stored = Files.readString(file).trim();
                if (stored.isEmpty()) {
                    throw new IllegalStateException(file + " is empty: delete it to generate a new token, or pass --token");
                }
                return new WriteToken(stored, file, false);
            }
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String token = HexFormat.of().formatHex(random);
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, token + "\n");
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system: the folder's permissions protect it.
            }
            return new WriteToken(token, file, true);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read or create the token file " + file + ": " + e.getMessage(), e);
        }
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
