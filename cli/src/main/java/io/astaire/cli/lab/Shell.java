package io.astaire.cli.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a setup command (ip, sysctl, ...) to completion within a time bound. */
final class Shell {
    private Shell() {}

    /** A finished command: exit code (-1 when it was killed at the timeout) and its combined output. */
    record Result(List<String> command, int exit, String output) {
        Result requireOk() {
            if (exit != 0) {
                throw new LabException(String.join(" ", command) + " failed"
                        + (exit < 0 ? " (timed out)" : " (exit " + exit + ")") + ": " + output.strip());
            }
            return this;
        }
    }

    static Result run(long timeoutSeconds, List<String> command) {
        Path out = null;
        try {
            out = Files.createTempFile("astaire-lab", ".out");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            return new Result(command, done ? p.exitValue() : -1, Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running " + String.join(" ", command));
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    static String ok(String... command) {
        return run(30, List.of(command)).requireOk().output();
    }
}
