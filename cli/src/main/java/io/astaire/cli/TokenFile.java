package io.astaire.cli;

import io.astaire.k8s.ManifestRenderer;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The controller token kept in a file between renders ({@code k8s render --token-file}): read when
 * the file exists, else created with a new random token, readable by its owner only. Keeping it
 * keeps the Secret and the pods' token checksum unchanged, so re-applying rolls nothing.
 */
final class TokenFile {

    private TokenFile() {}

    static String readOrCreate(Path file) throws IOException {
        if (Files.exists(file)) {
            return read(file);
        }
        String token = ManifestRenderer.randomToken();
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException raced) {
            return read(file);
        }
        Files.writeString(file, token + "\n");
        return token;
    }

    private static String read(Path file) throws IOException {
        String token = Files.readString(file).strip();
        if (token.length() < 16 || token.chars().anyMatch(Character::isWhitespace)) {
            throw new IOException("holds no token (one line of at least 16 characters without spaces)");
        }
        return token;
    }
}
