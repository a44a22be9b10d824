package io.astaire.cli.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Network namespaces, veth links and processes built from code, with names unique to this run
 * ({@code astaire-<pid>-<random>-<role>}), and torn down on {@link #close()} or, should the JVM
 * exit first, by a shutdown hook: processes are stopped, then the namespaces deleted (which
 * deletes every interface in them). A lab also removes leftovers of labs whose process died
 * without cleaning up. Needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2.
 */
public final class Lab implements AutoCloseable {
    private static final String PREFIX = "astaire-";
    private static final Pattern OWN_NAME = Pattern.compile("astaire-(\\d+)-[0-9a-f]+-.*");

    private final String id;
    private final Path logDir;
    private final List<LabNamespace> namespaces = Collections.synchronizedList(new ArrayList<>());
    private final List<LabProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private final Thread hook;
    private volatile boolean closed;

    /** A new, empty lab; process logs go under {@code logRoot/<lab id>/}. */
    public Lab(Path logRoot) {
        String reason = unavailableReason();
        if (reason != null) {
            throw new LabException("cannot build a lab: " + reason);
        }
        removeLeftovers();
        this.id = ProcessHandle.current().pid() + "-" + Integer.toHexString(0x10000 + ThreadLocalRandom.current().nextInt(0xf0000));
        this.logDir = logRoot.resolve("lab-" + id);
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new LabException("cannot create " + logDir + ": " + e.getMessage());
        }
        this.hook = new Thread(this::teardown, "lab-" + id + "-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Null when labs can be built here, else why not. */
    public static String unavailableReason() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:") && !line.split("\\s+")[2].equals("0")) {
                    return "needs root (network namespaces, veth and TUN devices)";
                }
            }
        } catch (IOException e) {
            return "cannot read /proc/self/status: " + e.getMessage();
        }
        if (Shell.run(10, List.of("ip", "-V")).exit() != 0) {
            return "needs the 'ip' tool (iproute2)";
        }
        return null;
    }

    /** This lab's unique id (pid and a random part). */
    public String id() {
        return id;
    }

    public Path logDir() {
        return logDir;
    }

    /** Creates namespace {@code role} of this lab, with loopback up. */
    public LabNamespace namespace(String role) {
        requireOpen();
        LabNamespace ns = new LabNamespace(PREFIX + id + "-" + role, role);
        Shell.ok("ip", "netns", "add", ns.name());
        namespaces.add(ns);
        ns.exec("ip", "link", "set", "lo", "up");
        return ns;
    }

    /**
     * Links two namespaces with a veth pair: {@code nameA} in {@code a}, {@code nameB} in {@code b},
     * both up. Each end is created directly in its namespace, so names never collide with
     * other labs' interfaces.
     */
    public void veth(LabNamespace a, String nameA, LabNamespace b, String nameB) {
        requireOpen();
        Shell.ok("ip", "-n", a.name(), "link", "add", nameA, "type", "veth", "peer", "name", nameB, "netns", b.name());
        a.exec("ip", "link", "set", nameA, "up");
        b.exec("ip", "link", "set", nameB, "up");
    }

    /** Adds {@code cidr} (IPv4 or IPv6, without duplicate address detection) to {@code dev} in {@code ns}. */
    public void address(LabNamespace ns, String dev, String cidr) {
        if (cidr.contains(":")) {
            ns.exec("ip", "-6", "addr", "add", cidr, "dev", dev, "nodad");
        } else {
            ns.exec("ip", "addr", "add", cidr, "dev", dev);
        }
    }

    /** Adds a route in {@code ns}: {@code ip route add <args>} ({@code ip -6} when an argument is an IPv6 address). */
    public void route(LabNamespace ns, String... args) {
        boolean v6 = List.of(args).stream().anyMatch(a -> a.contains(":"));
        List<String> cmd = new ArrayList<>(v6 ? List.of("ip", "-6", "route", "add") : List.of("ip", "route", "add"));
        cmd.addAll(List.of(args));
        ns.exec(cmd.toArray(String[]::new));
    }

    /** Turns {@code ns} into a router (IPv4 and IPv6 forwarding, no reverse-path filter). */
    public void router(LabNamespace ns) {
        ns.sysctl("net.ipv4.ip_forward", "1");
        ns.sysctl("net.ipv6.conf.all.forwarding", "1");
        ns.sysctl("net.ipv4.conf.all.rp_filter", "0");
        ns.sysctl("net.ipv4.conf.default.rp_filter", "0");
    }

    /** Starts {@code command} inside {@code ns}; its output goes to {@code <logDir>/<name>.log}. */
    public LabProcess start(String name, LabNamespace ns, List<String> command) {
        requireOpen();
        Path log = logDir.resolve(name + ".log");
        List<String> full = ns.wrap(command);
        try {
            Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            LabProcess lp = new LabProcess(name, ns, p, log, full);
            processes.add(lp);
            return lp;
        } catch (IOException e) {
            throw new LabException("cannot start " + String.join(" ", full) + ": " + e.getMessage());
        }
    }

    public List<LabNamespace> namespaces() {
        return List.copyOf(namespaces);
    }

    public List<LabProcess> processes() {
        return List.copyOf(processes);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("lab " + id + " is closed");
        }
    }

    /** Stops every process and deletes every namespace (and with them every interface). */
    @Override
    public void close() {
        teardown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down: the hook is running or ran
        }
    }

    private synchronized void teardown() {
        if (closed) {
            return;
        }
        closed = true;
        List<LabProcess> ps = processes();
        for (LabProcess p : ps) {
            if (p.isAlive()) {
                p.stop(0); // SIGTERM to all first, so they stop in parallel
            }
        }
        for (LabProcess p : ps) {
            p.stop(5);
        }
        List<LabNamespace> nss = new ArrayList<>(namespaces());
        Collections.reverse(nss);
        for (LabNamespace ns : nss) {
            killRemaining(ns.name());
            Shell.run(30, List.of("ip", "netns", "del", ns.name()));
        }
    }

    // Anything still running in the namespace (a tool a test started and lost) would keep it alive.
    private static void killRemaining(String namespace) {
        Shell.Result pids = Shell.run(10, List.of("ip", "netns", "pids", namespace));
        if (pids.exit() != 0) {
            return;
        }
        for (String pid : pids.output().split("\\s+")) {
            if (!pid.isBlank()) {
                ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /** Deletes namespaces of earlier labs whose creating process no longer exists. */
    static void removeLeftovers() {
        Path dir = Path.of("/var/run/netns");
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Matcher m = OWN_NAME.matcher(f.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    killRemaining(f.getFileName().toString());
                    Shell.run(30, List.of("ip", "netns", "del", f.getFileName().toString()));
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort: a leftover is not a reason to fail this run
        }
    }
}
