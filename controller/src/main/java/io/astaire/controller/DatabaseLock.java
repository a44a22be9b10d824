package io.astaire.controller;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One writer per database: an exclusive lock on {@code <db>.lock}, which holds the pid of the
 * controller that has it. The registry reads the database once and serves it from memory, so two
 * controllers on one file would drift apart under the same version numbers; the second refuses to
 * start instead. The operating system drops the lock when the process dies, even by kill -9.
 */
final class DatabaseLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DatabaseLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** @throws IllegalStateException "database in use by pid N" when another controller holds it */
    static DatabaseLock acquire(Path database) {
        Path file = database.resolveSibling(database.getFileName() + ".lock");
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the lock file " + file + ": " + e.getMessage(), e);
        }
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very process (a second controller in one JVM)
            }
            if (lock == null) {
                String holder = holder(channel);
                channel.close();
                throw new IllegalStateException("database in use by pid " + holder + ": another controller serves "
                        + database + " (" + file + "); stop it first, or give this one its own --db");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(true);
            return new DatabaseLock(channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new IllegalStateException("cannot lock the database " + database + ": " + e.getMessage(), e);
        }
    }

    private static String holder(FileChannel channel) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(32);
        channel.read(buf, 0);
        String pid = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
        return pid.isEmpty() ? "unknown" : pid;
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        closeQuietly(channel);
    }
}
