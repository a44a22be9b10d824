package io.astaire.systest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code astaire demo} as a user runs it, from the packaged jar, on a machine whose only network
 * tool is {@code ip} (PATH holds ip and coreutils, no ping, curl, python3 or sysctl): it builds the
 * namespaced chain with its controller, sends ICMP echo and HTTP through it from its own process,
 * exits 0 with a summary showing traffic through every hop both ways, logs no warning of Netty's
 * hardware-address lookup, and leaves no namespace behind. Without root it explains what it needs
 * and exits 2.
 */
class DemoSmokeTest {
    private static final List<String> HOPS = List.of("ingress", "acl", "count", "pass", "egress");
    private static final Pattern HOP_LINE = Pattern.compile("hop (\\S+)\\s+(ok|NO TRAFFIC)\\s+forward=(\\d+) reverse=(\\d+)");

    @Test
    @Timeout(value = 200, unit = TimeUnit.SECONDS)
    void theDemoSendsTrafficThroughEveryHopWithOnlyIpOnThePathAndCleansUp() throws Exception {
        assumeTrue(isRoot(), "the demo needs root (network namespaces, TUN devices)");
        Path jar = jar();
        Path output = Files.createTempFile("astaire-demo-smoke", ".out");
        Path bin = onlyIpAndCoreutils();
        ProcessBuilder pb = new ProcessBuilder(java(), "-jar", jar.toString(), "demo", "--non-interactive", "--duration", "10",
                // Any free port for the web view: 8080 may be another program's on a CI machine.
                "--ui-port", "0")
                .redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().put("PATH", bin.toString());
        Process demo = pb.start();
        long pid = demo.pid();
        boolean finished = demo.waitFor(170, TimeUnit.SECONDS);
        if (!finished) {
            demo.destroy(); // SIGTERM: its shutdown hook removes the namespaces
            demo.waitFor(30, TimeUnit.SECONDS);
        }
        String text = Files.readString(output);
        System.out.println(text);
        assertThat(finished).as("the demo finished within 170 s:\n" + text).isTrue();
        assertThat(demo.exitValue()).as(text).isZero();

        List<String> seen = new ArrayList<>();
        Matcher m = HOP_LINE.matcher(text);
        while (m.find()) {
            seen.add(m.group(1));
            assertThat(m.group(2)).as("hop " + m.group(1)).isEqualTo("ok");
            assertThat(Long.parseLong(m.group(3))).as(m.group(1) + " forward packets").isPositive();
            assertThat(Long.parseLong(m.group(4))).as(m.group(1) + " reverse packets").isPositive();
        }
        assertThat(seen).containsExactlyElementsOf(HOPS);
        assertThat(text).contains("Result: traffic went through every hop (5 of 5, both ways).")
                .contains("ping:   ok").contains("http:   ok").contains("4194304 bytes")
                .contains("trace:  ok   arrived: arrived at the egress and back at the ingress: 5 hops forward, 5 back");
        // The nodes report to the controller: describe shows each hop's own counters.
        assertThat(text).containsPattern("255  acl .* sf-acl\\S* v1, .*acl\\.processed=[1-9]")
                .containsPattern("count\\.processed=[1-9]").containsPattern("pass\\.processed=[1-9]")
                .containsPattern("ingress\\.delivered=[1-9]").containsPattern("egress\\.delivered=[1-9]");
        assertThat(text).containsPattern("web view: http://127\\.0\\.0\\.1:\\d+/ui#token=[0-9a-f]{32}");
        assertThat(text).contains("astaire demo: stopped").contains("deleted 9 namespaces");
        assertThat(namespacesOf(pid)).as("namespaces left by the demo (pid " + pid + ")").isEmpty();

        // The logs stay, where the demo said.
        Matcher logs = Pattern.compile("logs kept in (\\S+)").matcher(text);
        assertThat(logs.find()).isTrue();
        Path logDir = Path.of(logs.group(1));
        assertThat(logDir.resolve("sf-acl.log")).exists();
        assertThat(logDir.resolve("topology.yaml")).exists();
        assertThat(Files.readString(logDir.resolve("ping.log"))).containsPattern("icmp_seq=\\d+ time=");
        assertThat(Files.readString(logDir.resolve("http-loop.log"))).contains("200 4194304 bytes", "port 8023: no answer");
        try (Stream<Path> logFiles = Files.list(logDir)) {
            for (Path log : logFiles.filter(f -> f.toString().endsWith(".log")).toList()) {
                assertThat(Files.readString(log)).as(log + ": Netty looked for a hardware address").doesNotContain("MacAddressUtil");
            }
        }
        deleteTree(logDir.getParent());
        Files.deleteIfExists(output);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void withoutRootItSaysWhatItNeedsAndExits2() throws Exception {
        assumeTrue(isRoot(), "needs root to drop to another user");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux) to run as nobody");
        Path jar = jar();
        Process demo = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                java(), "-jar", jar.toString(), "demo", "--non-interactive", "--duration", "5")
                .redirectErrorStream(true).start();
        String text = new String(demo.getInputStream().readAllBytes());
        assertThat(demo.waitFor(50, TimeUnit.SECONDS)).isTrue();
        assumeTrue(!text.contains("Unable to access jarfile") && !text.contains("Error: could not open"),
                () -> "nobody cannot read the jar here: " + text);
        System.out.println(text);
        assertThat(demo.exitValue()).as(text).isEqualTo(2);
        assertThat(text).contains("not running as root").contains("CAP_NET_ADMIN").contains("sudo astaire demo");
        assertThat(text).doesNotContain("[1/6"); // nothing was built
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aTakenWebViewPortIsRefusedBeforeAnythingIsBuilt() throws Exception {
        assumeTrue(isRoot(), "the demo needs root (network namespaces, TUN devices)");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Process demo = new ProcessBuilder(java(), "-jar", jar().toString(), "demo", "--non-interactive", "--duration", "5",
                    "--ui-port", Integer.toString(taken.getLocalPort())).redirectErrorStream(true).start();
            String text = new String(demo.getInputStream().readAllBytes());
            assertThat(demo.waitFor(50, TimeUnit.SECONDS)).isTrue();
            assertThat(demo.exitValue()).as(text).isEqualTo(2);
            assertThat(text).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()).contains("--ui-port N");
            assertThat(text).doesNotContain("[1/6"); // nothing was built
            assertThat(namespacesOf(demo.pid())).isEmpty();
        }
    }

    @Test
    @Timeout(value = 200, unit = TimeUnit.SECONDS)
    void ctrlCRemovesEveryNamespaceAndProcess() throws Exception {
        assumeTrue(isRoot(), "the demo needs root (network namespaces, TUN devices)");
        Path jar = jar();
        Path output = Files.createTempFile("astaire-demo-interrupt", ".out");
        Process demo = new ProcessBuilder(java(), "-jar", jar.toString(), "demo", "--non-interactive", "--duration", "600", "--ui-port", "0")
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        long pid = demo.pid();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            while (!Files.readString(output).contains("HOP ") && demo.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            String before = Files.readString(output);
            assertThat(before).as("the demo got to its table:\n" + before).contains("HOP ");
            assertThat(namespacesOf(pid)).hasSize(9);
            Matcher logs = Pattern.compile("logs:\\s+(\\S+)").matcher(before);
            assertThat(logs.find()).isTrue();
            String logDir = logs.group(1);
            assertThat(processesMentioning(logDir)).as("the controller runs from the log folder").isNotEmpty();

            // Ctrl-C in a terminal is SIGINT to the demo (and its process group; here only the demo).
            new ProcessBuilder("kill", "-INT", Long.toString(pid)).start().waitFor(10, TimeUnit.SECONDS);
            assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as("the demo exits after SIGINT").isTrue();
            String text = Files.readString(output);
            System.out.println(text.substring(Math.max(0, text.length() - 600)));
            assertThat(text).contains("stopping, removing everything it created").contains("deleted 9 namespaces");
            assertThat(namespacesOf(pid)).as("namespaces left after SIGINT").isEmpty();
            assertThat(processesMentioning(logDir)).as("processes left after SIGINT").isEmpty();
            deleteTree(Path.of(logDir).getParent());
        } finally {
            if (demo.isAlive()) {
                demo.destroy();
                demo.waitFor(60, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(output);
        }
    }

    /**
     * A folder to use as the whole PATH: {@code ip} and the coreutils programs, nothing else (the
     * tools the demo used to need, ping, curl, python3 and sysctl, are left out on purpose).
     */
    static Path onlyIpAndCoreutils() throws IOException {
        Path bin = Path.of("target").toAbsolutePath().resolve("only-ip-bin-" + ProcessHandle.current().pid());
        Files.createDirectories(bin);
        List<String> tools = new ArrayList<>(List.of("ip"));
        tools.addAll(List.of("cat", "cp", "date", "echo", "env", "head", "id", "ln", "ls", "mkdir", "mv", "nproc", "rm", "sleep",
                "sort", "tail", "tee", "timeout", "touch", "true", "false", "uname", "wc"));
        for (String tool : tools) {
            for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
                Path real = Path.of(dir, tool);
                if (Files.isExecutable(real) && !Files.exists(bin.resolve(tool), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(bin.resolve(tool), real.toRealPath());
                }
            }
        }
        assertThat(bin.resolve("ip")).as("ip (iproute2) is installed").exists();
        for (String absent : List.of("ping", "curl", "python3", "sysctl", "sh")) {
            assertThat(bin.resolve(absent)).doesNotExist();
        }
        return bin;
    }

    /** Pids of processes whose command line contains {@code text}. */
    static List<Long> processesMentioning(String text) throws IOException {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                    if (cmd.contains(text)) {
                        pids.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return pids;
    }

    static List<String> namespacesOf(long pid) throws IOException {
        Path dir = Path.of("/var/run/netns");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("astaire-" + pid + "-")).toList();
        }
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("astaire.jar", "../cli/target/astaire.jar")).toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(jar), () -> jar + " not built (run ./mvnw -pl systest -am verify)");
        return jar;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root) || !root.getFileName().toString().startsWith("astaire-demo-")) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
