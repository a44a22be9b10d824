package io.astaire.dataplane.edge;

import io.astaire.dataplane.config.TopologySource;
import io.astaire.model.ModelException;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A topology read from a YAML/JSON file. The file is read (and must be valid) at start; a
 * background thread then checks its modification time every {@code pollMillis} and publishes a
 * new version when it changed and parses; an invalid edit is logged and ignored (the last good
 * version stays).
 */
public final class TopologyFileSource implements TopologySource {
    private static final Logger LOG = LoggerFactory.getLogger(TopologyFileSource.class);

    private final Path file;
    private final List<Consumer<Versioned>> listeners = new CopyOnWriteArrayList<>();
    private final Thread watcher;
    private volatile Versioned current;
    private volatile boolean closed;
    private FileTime lastModified;

    /** Reads {@code file}; fails with a {@link ModelException} naming the field when it is invalid. */
    public TopologyFileSource(Path file, long pollMillis) {
        this.file = file;
        this.lastModified = modified();
        this.current = new Versioned(1, TopologyCodec.read(file));
        this.watcher = Thread.ofPlatform().daemon().name("topology-file-watch").unstarted(() -> watch(pollMillis));
        watcher.start();
    }

    private FileTime modified() {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return null;
        }
    }

    private void watch(long pollMillis) {
        while (!closed) {
            try {
                Thread.sleep(pollMillis);
            } catch (InterruptedException e) {
                return;
            }
            FileTime m = modified();
            if (m == null || m.equals(lastModified)) {
                continue;
            }
            lastModified = m;
            try {
                Topology t = TopologyCodec.read(file);
                Versioned v = new Versioned(current.version() + 1, t);
                current = v;
                LOG.info("{} changed: topology v{}", file, v.version());
                listeners.forEach(l -> l.accept(v));
            } catch (ModelException e) {
                LOG.error("{} changed but is not usable, keeping v{}: {}", file, current.version(), e.getMessage());
            }
        }
    }

    @Override
    public Versioned current() {
        return current;
    }

    @Override
    public void subscribe(Consumer<Versioned> listener) {
        listeners.add(listener);
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
    }
}
