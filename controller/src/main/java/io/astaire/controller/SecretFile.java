package io.astaire.controller;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * A secret kept in a file of its own (the write token, the node secret): created with mode 600 in
 * the same call that creates the file, so no other user can ever open it, and refused when an
 * existing one is readable by group or others, since then the secret may already be known.
 * Messages name the file: they go to the operator starting the controller, never to an API caller.
 */
final class SecretFile {
    private static final Set<PosixFilePermission> EXPOSED = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /** What was read or created. */
    record Secret(String value, Path file, boolean generated) {}

    private SecretFile() {}

    /** The secret in {@code file}, or a new random one (256 bits, hex) written there when the file does not exist. */
    static Secret readOrCreate(Path file, String what) {
        Path abs = file.toAbsolutePath().normalize();
        if (!Files.exists(abs)) {
            String value = random();
            try {
                create(abs, value);
                return new Secret(value, abs, true);
            } catch (FileAlreadyExistsException e) {
                // Another process created it meanwhile: read theirs below.
            } catch (IOException e) {
                throw new IllegalStateException("cannot create the " + what + " file " + abs + ": " + e.getMessage(), e);
            }
        }
        return new Secret(read(abs, what), abs, false);
    }

    /** The secret in an existing {@code file}; refused when the file is empty or readable by others. */
    static String read(Path file, String what) {
        Path abs = file.toAbsolutePath().normalize();
        try {
            requirePrivate(abs, what);
            String value = Files.readString(abs).trim();
            if (value.isEmpty()) {
                throw new IllegalStateException("the " + what + " file " + abs + " is empty: delete it to generate a new one");
            }
            return value;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the " + what + " file " + abs + ": " + e.getMessage(), e);
        }
    }

    private static void requirePrivate(Path file, String what) throws IOException {
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: the folder's permissions protect it
        }
        if (mode.stream().anyMatch(EXPOSED::contains)) {
            throw new IllegalStateException("the " + what + " file " + file + " is accessible by group or others (mode "
                    + PosixFilePermissions.toString(mode) + "): the secret may be known; run chmod 600 " + file
                    + " if it is not, or delete the file to generate a new one");
        }
    }

    /** Creates {@code file} with mode 600 from the first byte, then writes {@code value}. */
    private static void create(Path file, String value) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        FileAttribute<?>[] attrs = file.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        try (SeekableByteChannel ch = Files.newByteChannel(file, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attrs)) {
            ch.write(ByteBuffer.wrap((value + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }

    static String random() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
