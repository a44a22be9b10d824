package io.astaire.dataplane.config;

import io.astaire.model.ModelException;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A topology from a YAML (or JSON) file, reloaded when the file changes.
 *
 * <p>The file is read at construction: a missing or invalid file fails then, with the field named
 * ({@link ModelException}). Afterwards a background thread compares the file's bytes every
 * {@code pollInterval} (polling rather than a WatchService, because editors replace files by
 * renaming and Kubernetes swaps ConfigMap symlinks, which watches miss); a changed, valid file
 * becomes the next version and listeners are told; an invalid one is logged with its field
 * error and the last good version stays in force.
 */
public final class FileTopologySource implements TopologySource {

    private static final Logger LOG = LoggerFactory.getLogger(FileTopologySource.class);

    private final Path file;
    private final Duration pollInterval;
    private final List<Consumer<Versioned>> listeners = new CopyOnWriteArrayList<>();
    private final Thread watcher;
    private volatile Versioned current;
    private volatile boolean running = true;
    private byte[] lastBytes;
    private String lastProblem;

    /** Reads {@code file} now and checks it for changes every second. */
    public FileTopologySource(Path file) {
        this(file, Duration.ofSeconds(1));
    }

    public FileTopologySource(Path file, Duration pollInterval) {
        this.file = file;
        this.pollInterval = pollInterval;
        byte[] bytes = read(file);
        Topology t = TopologyCodec.parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        this.lastBytes = bytes;
        this.current = new Versioned(1, t);
        this.watcher = Thread.ofPlatform().daemon().name("topology-file-watch").start(this::watch);
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelException(file.toString(), "no such file");
        } catch (IOException e) {
            throw new ModelException(file.toString(), "cannot be read: " + e.getMessage());
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public Versioned current() {
        return current;
    }

    @Override
    public void subscribe(Consumer<Versioned> listener) {
        listeners.add(listener);
    }

    private void watch() {
        while (running) {
            try {
                Thread.sleep(pollInterval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            if (running) {
                check();
            }
        }
    }

    /** Looks at the file once; public for tests and for callers that know it just changed. */
    public synchronized void check() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            report(file + ": cannot be read (" + e.getClass().getSimpleName() + " " + e.getMessage() + ")");
            return;
        }
        if (Arrays.equals(bytes, lastBytes)) {
            return;
        }
        Topology t;
        try {
            t = TopologyCodec.parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        } catch (ModelException e) {
            lastBytes = bytes; // do not re-report the same bad content
            report(file + ": not applied, keeping version " + current.version() + ": " + e.getMessage());
            return;
        }
        lastBytes = bytes;
        lastProblem = null;
        Versioned next = new Versioned(current.version() + 1, t);
        current = next;
        LOG.info("{}: topology version {} loaded ({} functions, {} chains)", file, next.version(),
                t.functions().size(), t.chains().size());
        for (Consumer<Versioned> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                LOG.error("topology listener failed on version {}", next.version(), e);
            }
        }
    }

    private void report(String problem) {
        if (!problem.equals(lastProblem)) {
            LOG.warn(problem);
            lastProblem = problem;
        }
    }

    @Override
    public void close() {
        running = false;
        watcher.interrupt();
    }
}
