package io.astaire.wire;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs tshark / text2pcap with a timeout, reading stdout and stderr fully on their own threads. */
final class ExternalTool {

    private ExternalTool() {
    }

    /** Skips the calling test (with a reason) when the tool is not installed. */
    static Path require(String name) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/sbin").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        assumeTrue(false, name + " is needed for this interop test (install it with .ci/install-test-tools)");
        return null;
    }

    record Result(int exitCode, String stdout, String stderr) {}

    /** Runs the command and returns its output; fails if it does not finish within the timeout. */
    static Result run(long timeoutSeconds, List<String> command) {
        try {
            Process process = new ProcessBuilder(new ArrayList<>(command)).redirectInput(ProcessBuilder.Redirect.from(
                Path.of("/dev/null").toFile())).start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()));
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command.get(0) + " did not finish within " + timeoutSeconds + " s: " + command);
            }
            return new Result(process.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Runs the command and returns stdout, failing on a non-zero exit code. */
    static String runOk(long timeoutSeconds, List<String> command) {
        Result result = run(timeoutSeconds, command);
        if (result.exitCode() != 0) {
            throw new AssertionError(command + " exited " + result.exitCode() + ": " + result.stderr());
        }
        return result.stdout();
    }

    private static String drain(InputStream in) {
        try (in) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            in.transferTo(bytes);
            return bytes.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
