package io.astaire.controller;

import java.net.URI;
import java.nio.file.Path;

/** A real controller on an ephemeral port over a real SQLite file, restartable on the same file. */
final class RunningController implements AutoCloseable {
    static final String TOKEN = "test-token-0123456789";

    /** The secret node tokens derive from; the same across restarts, as a file would keep it. */
    final NodeSecret nodeSecret = NodeSecret.random();
    private final Path db;
    private final NodeRegistry.Limits limits;
    private ControllerServer server;
    private int port;

    RunningController(Path db) {
        this(db, NodeRegistry.Limits.DEFAULT);
    }

    RunningController(Path db, NodeRegistry.Limits limits) {
        this.db = db;
        this.limits = limits;
        start();
    }

    /** Starts again on the same database; on the same port when it ran before, so clients find it. */
    void start() {
        server = ControllerServer.start(new Registry(SqliteTopologyStore.open(db)), WriteToken.given(TOKEN), nodeSecret, limits,
                "127.0.0.1", port);
        port = server.port();
    }

    /** The token node {@code name} reports with. */
    String nodeToken(String name) {
        return io.astaire.model.NodeToken.derive(nodeSecret.value(), name);
    }

    void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    ControllerServer server() {
        return server;
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    Path db() {
        return db;
    }

    @Override
    public void close() {
        stop();
    }
}
