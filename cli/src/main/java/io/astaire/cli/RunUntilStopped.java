package io.astaire.cli;

import java.util.concurrent.CountDownLatch;

/**
 * Keeps a long-running role (controller, sf) in the foreground until SIGTERM / Ctrl-C or, in
 * tests, until its stop latch is released, then closes what it started exactly once: by the
 * shutdown hook when the JVM is exiting, otherwise here after the hook is withdrawn.
 */
final class RunUntilStopped {
    private RunUntilStopped() {}

    /** Blocks until stopped; {@code close} runs once, on whichever path ends the wait. Returns 0. */
    static int await(CountDownLatch stop, String threadName, Runnable close) {
        Thread hook = new Thread(() -> {
            stop.countDown();
            close.run();
        }, threadName);
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            return 0; // the JVM is shutting down: the hook does the closing
        }
        close.run();
        return 0;
    }
}
