package io.astaire.controller;

import java.net.URI;
import java.nio.file.Path;

/** A real controller on an ephemeral port over a real SQLite file, restartable on the same file. */
final class RunningController implements AutoCloseable {
    static final String TOKEN = "test-token-0123456789";

    private final Path db;
    private ControllerServer server;
    private int port;

    RunningController(Path db) {
        this.db = db;
        start();
    }

    /** Starts again on the same database; on the same port when it ran before, so clients find it. */
    void start() {
        server = ControllerServer.start(new Registry(SqliteTopologyStore.open(db)), WriteToken.given(TOKEN), "127.0.0.1", port);
        port = server.port();
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
