package io.astaire.controller;

import java.nio.file.Path;

/**
 * A controller in a JVM of its own, for tests that measure its resident memory: {@code db secret}
 * as arguments; prints {@code port=N} once serving, stops when stdin closes.
 */
final class ControllerProcess {
    private ControllerProcess() {}

    public static void main(String[] args) throws Exception {
        try (ControllerServer server = ControllerServer.start(new Registry(SqliteTopologyStore.open(Path.of(args[0]))),
                WriteToken.given(RunningController.TOKEN), NodeSecret.given(args[1]), NodeRegistry.Limits.DEFAULT, "127.0.0.1", 0)) {
            System.out.println("port=" + server.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the test closes our stdin
            }
        }
    }
}
