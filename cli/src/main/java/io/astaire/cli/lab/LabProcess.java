package io.astaire.cli.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A long-running process started inside a lab namespace, with its output in a log file. */
public final class LabProcess {
    private final String name;
    private final LabNamespace namespace;
    private final Process process;
    private final Path log;
    private final List<String> command;

    LabProcess(String name, LabNamespace namespace, Process process, Path log, List<String> command) {
        this.name = name;
        this.namespace = namespace;
        this.process = process;
        this.log = log;
        this.command = command;
    }

    public String name() {
        return name;
    }

    public LabNamespace namespace() {
        return namespace;
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** Everything the process has printed so far. */
    public String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /**
     * Waits until it answers 200 on {@code /readyz} at {@code 127.0.0.1:port} inside its namespace;
     * fails with its output if it exits or the time runs out.
     */
    public void awaitReady(int port, long timeoutSeconds) {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!isAlive()) {
                throw new LabException(name + " exited before it was ready:\n" + output());
            }
            if (LabHttp.get(namespace, "http://127.0.0.1:" + port + "/readyz", java.time.Duration.ofSeconds(1)).ok()) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted");
            }
        }
        throw new LabException(name + " not ready after " + timeoutSeconds + " s:\n" + output());
    }

    /** Waits for it to exit on its own, up to {@code seconds}; returns its exit code or -1. */
    public int waitFor(long seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Asks it to stop (SIGTERM), then kills it after {@code graceSeconds}. */
    public void stop(long graceSeconds) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + " in " + namespace + " (pid " + process.pid() + "): " + String.join(" ", command);
    }
}
