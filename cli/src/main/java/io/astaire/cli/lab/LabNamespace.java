package io.astaire.cli.lab;

import io.astaire.dataplane.tun.ThreadNetworkNamespace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A network namespace of a {@link Lab}: run commands inside it, or run code of this process inside
 * it on a thread of its own ({@link #call}, {@link #startThread}): sockets and {@code /proc/sys/net}
 * files that thread opens, and threads it creates, belong to the namespace.
 */
public final class LabNamespace {
    private final String name;
    private final String role;

    LabNamespace(String name, String role) {
        this.name = name;
        this.role = role;
    }

    /** The namespace's name as {@code ip netns} knows it (unique per lab). */
    public String name() {
        return name;
    }

    /** The short role it plays (client, ingress, sf1, ...). */
    public String role() {
        return role;
    }

    /** Runs {@code command} inside the namespace (30 s bound); fails with its output on a non-zero exit. */
    public String exec(String... command) {
        return Shell.run(30, wrap(List.of(command))).requireOk().output();
    }

    /** Runs {@code command} inside the namespace within {@code timeoutSeconds}, whatever its exit code. */
    public Result execResult(long timeoutSeconds, String... command) {
        Shell.Result r = Shell.run(timeoutSeconds, wrap(List.of(command)));
        return new Result(r.exit(), r.output());
    }

    /** What a command did: exit code (-1 if it timed out) and output. */
    public record Result(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

    /** The command line that runs {@code command} inside this namespace. */
    public List<String> wrap(List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        return full;
    }

    /**
     * Sets a sysctl inside the namespace: writes {@code /proc/sys/<key with dots as slashes>} from a
     * thread in it (the net.* files are those of the opening thread's namespace), so no sysctl tool is needed.
     */
    public void sysctl(String key, String value) {
        Path file = Path.of("/proc/sys", key.split("\\."));
        call(() -> Files.writeString(file, value + "\n", StandardCharsets.US_ASCII));
    }

    /**
     * Runs {@code task} on a new platform thread inside this namespace and returns its result; its
     * exception is rethrown (a checked one wrapped in a {@link LabException} naming the namespace).
     */
    public <T> T call(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().daemon().name("in-" + role).start(() -> {
            try {
                ThreadNetworkNamespace.enter(name);
                result.complete(task.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get();
        } catch (InterruptedException e) {
            t.interrupt();
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while working in namespace " + name);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new LabException("in namespace " + name + ": " + cause.getMessage(), cause);
        }
    }

    /** Daemon platform threads that enter this namespace before they run anything (for executors). */
    public java.util.concurrent.ThreadFactory threads(String prefix) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        return r -> Thread.ofPlatform().daemon().name(prefix + "-" + n.incrementAndGet()).unstarted(() -> {
            ThreadNetworkNamespace.enter(name);
            r.run();
        });
    }

    /** Starts {@code body} on a daemon platform thread named {@code threadName} inside this namespace. */
    public Thread startThread(String threadName, Runnable body) {
        return Thread.ofPlatform().daemon().name(threadName).start(() -> {
            ThreadNetworkNamespace.enter(name);
            body.run();
        });
    }

    @Override
    public String toString() {
        return name;
    }
}
