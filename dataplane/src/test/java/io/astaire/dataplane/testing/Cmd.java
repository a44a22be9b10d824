package io.astaire.dataplane.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion with a time bound and returns its exit code and output. */
public final class Cmd {

    /** What a command did: exit code (-1 when killed after the timeout) and combined output. */
    public record Result(int exit, String output) {
        public Result requireOk(List<String> command) {
            if (exit != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + exit + "): " + output.strip());
            }
            return this;
        }
    }

    private Cmd() {}

    public static Result run(long timeoutSeconds, List<String> command) {
        try {
            Path out = Files.createTempFile("astaire-cmd", ".out");
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
                if (!done) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
                String text = Files.readString(out, StandardCharsets.UTF_8);
                return new Result(done ? p.exitValue() : -1, text);
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    /** Runs and fails with the output when the exit code is not 0. */
    public static String ok(String... command) {
        return run(30, List.of(command)).requireOk(List.of(command)).output();
    }

    /** True when {@code tool} is on the PATH (or an absolute path that exists). */
    public static boolean has(String tool) {
        if (tool.startsWith("/")) {
            return Files.isExecutable(Path.of(tool));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    /** True when this process runs as root (the network tests create namespaces and devices). */
    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // effective uid
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
