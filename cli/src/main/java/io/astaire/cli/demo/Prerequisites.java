package io.astaire.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code astaire demo} needs from the machine, checked before anything is created: the one
 * tool it runs ({@code ip}, named with the Debian/Ubuntu package that provides it), root, and the
 * TUN device. Everything else (ICMP echo, the HTTP server and client, sysctls, reading /metrics)
 * the demo does itself, from threads inside the namespaces. Every missing piece is reported at
 * once, so one round of installing fixes them all.
 */
public final class Prerequisites {
    /** A tool the demo runs and the package that provides it. */
    record Tool(String command, String purpose, String debianPackage) {}

    static final List<Tool> TOOLS = List.of(
            new Tool("ip", "creates the namespaces, veth links, addresses and routes", "iproute2"));

    private Prerequisites() {}

    /** Every problem found, each a sentence saying what to do; empty when the demo can run. */
    public static List<String> problems() {
        List<String> problems = new ArrayList<>();
        List<String> packages = new ArrayList<>();
        for (Tool t : TOOLS) {
            if (!onPath(t.command())) {
                problems.add("'" + t.command() + "' is missing: it " + t.purpose() + " (package " + t.debianPackage() + ")");
                packages.add(t.debianPackage());
            }
        }
        if (!packages.isEmpty()) {
            problems.add("install them with: apt-get install -y " + String.join(" ", packages)
                    + "   (Fedora/RHEL: dnf install iproute)");
        }
        if (!isRoot()) {
            problems.add("not running as root: the demo creates network namespaces (CAP_SYS_ADMIN), veth links, "
                    + "routes and TUN devices (CAP_NET_ADMIN); run it as root, e.g. sudo astaire demo");
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            problems.add("/dev/net/tun does not exist: load the tun module (modprobe tun), or in a container "
                    + "pass the device (docker run --device /dev/net/tun --cap-add NET_ADMIN --cap-add SYS_ADMIN)");
        }
        return problems;
    }

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // the effective uid
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }

    static boolean onPath(String tool) {
        if (tool.startsWith("/")) {
            return Files.isExecutable(Path.of(tool));
        }
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
