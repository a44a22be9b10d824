package io.astaire.dataplane.transport;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.astaire.dataplane.sys.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A real veth pair for tests: one end here with {@link #near()}, the other in a network
 * namespace of its own with {@link #far()}, so datagrams between them cross the veth device
 * (and its offload settings) instead of loopback. Needs root and {@code ip}; removed on close.
 */
final class VethPair implements AutoCloseable {

    private static final int CLONE_NEWNET = 0x40000000;
    private static final MethodHandle OPEN = Libc.downcall("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETNS = Libc.downcall("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    final String namespace;
    final String nearDevice;
    private final int subnet;

    /** @param subnet the third byte of 10.231.X.0/30 (distinct per test) */
    VethPair(String name, int subnet) {
        this.namespace = name;
        this.nearDevice = name + "a";
        this.subnet = subnet;
        run("ip", "netns", "del", name); // a leftover of an aborted run
        run("ip", "link", "del", nearDevice);
        must("ip", "netns", "add", name);
        must("ip", "link", "add", nearDevice, "type", "veth", "peer", "name", name + "b", "netns", name);
        must("ip", "addr", "add", "10.231." + subnet + ".1/30", "dev", nearDevice);
        must("ip", "link", "set", nearDevice, "up");
        must("ip", "netns", "exec", name, "ip", "addr", "add", "10.231." + subnet + ".2/30", "dev", name + "b");
        must("ip", "netns", "exec", name, "ip", "link", "set", name + "b", "up");
        must("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
    }

    /** Whether this process may create namespaces and devices (root with iproute2). */
    static boolean available() {
        return run("ip", "netns", "list") == 0 && ProcessHandle.current().info().user().map("root"::equals).orElse(false);
    }

    InetAddress near() {
        return address(1);
    }

    InetAddress far() {
        return address(2);
    }

    private InetAddress address(int host) {
        try {
            return InetAddress.getByAddress(new byte[] {10, (byte) 231, (byte) subnet, (byte) host});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code action} on a fresh thread that entered the far namespace: sockets it opens live there. */
    <T> T inFarNamespace(Supplier<T> action) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try (Arena arena = Arena.ofConfined()) {
                int fd = (int) OPEN.invokeExact(arena.allocateFrom("/var/run/netns/" + namespace, StandardCharsets.UTF_8), 0);
                if (fd < 0 || (int) SETNS.invokeExact(fd, CLONE_NEWNET) != 0) {
                    throw new IllegalStateException("cannot enter network namespace " + namespace);
                }
                Libc.close(fd);
                result.complete(action.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }).join();
        return result.get();
    }

    static int run(String... command) {
        try {
            Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static void must(String... command) {
        if (run(command) != 0) {
            throw new IllegalStateException("failed: " + String.join(" ", command));
        }
    }

    @Override
    public void close() {
        run("ip", "link", "del", nearDevice);
        run("ip", "netns", "del", namespace);
    }
}
