package io.astaire.dataplane.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.tun.ThreadNetworkNamespace;
import io.astaire.dataplane.tun.TunDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A fresh network namespace for one test, with a name unique to this run, deleted on
 * {@link #close()} (which also removes every device inside it). Code runs inside it either as a
 * process ({@link #exec}) or on a platform thread of this JVM that entered it ({@link #call}).
 */
public final class NetNs implements AutoCloseable {
    private final String name;

    private NetNs(String name) {
        this.name = name;
    }

    /** Creates a namespace named {@code prefix} plus something random, with loopback up. */
    public static NetNs create(String prefix) {
        String name = prefix + "-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
        Cmd.ok("ip", "netns", "add", name);
        NetNs ns = new NetNs(name);
        try {
            ns.exec("ip", "link", "set", "lo", "up");
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /**
     * A fresh namespace for a test that opens TUN devices in it; skips the test, saying why
     * ({@code what} names it), where namespaces or {@code /dev/net/tun} are not to be had.
     */
    public static NetNs createForTun(String prefix, String what) {
        String reason = unavailableReason();
        assumeTrue(reason == null, () -> what + " skipped: " + reason);
        assumeTrue(TunDevice.available(),
                () -> what + " skipped: /dev/net/tun is missing or not writable (modprobe tun)");
        return create(prefix);
    }

    /** Null when namespaces can be made here; otherwise why not (for an Assumption's message). */
    public static String unavailableReason() {
        if (!Cmd.isRoot()) {
            return "needs root to create network namespaces and TUN devices";
        }
        if (!Cmd.has("ip")) {
            return "needs the 'ip' tool (iproute2)";
        }
        return null;
    }

    public String name() {
        return name;
    }

    /** Runs {@code command} inside the namespace and returns its output; fails on a non-zero exit. */
    public String exec(String... command) {
        return execResult(30, command).requireOk(full(command)).output();
    }

    /** Runs {@code command} inside the namespace, bounded by {@code timeoutSeconds}. */
    public Cmd.Result execResult(long timeoutSeconds, String... command) {
        return Cmd.run(timeoutSeconds, full(command));
    }

    private List<String> full(String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
        cmd.addAll(List.of(command));
        return cmd;
    }

    /** Runs {@code task} on a new platform thread that has entered the namespace. */
    public <T> T call(Callable<T> task) throws Exception {
        FutureTask<T> f = new FutureTask<>(() -> {
            ThreadNetworkNamespace.enter(name);
            return task.call();
        });
        Thread t = Thread.ofPlatform().name("netns-" + name).daemon().start(f);
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        } catch (TimeoutException e) {
            t.interrupt();
            throw e;
        }
    }

    @Override
    public void close() {
        Cmd.run(30, List.of("ip", "netns", "del", name));
    }
}
