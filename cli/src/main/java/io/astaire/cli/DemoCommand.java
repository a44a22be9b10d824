package io.astaire.cli;

import io.astaire.cli.demo.DemoRun;
import io.astaire.cli.demo.DemoTopology;
import io.astaire.cli.demo.Hop;
import io.astaire.cli.demo.HopTable;
import io.astaire.cli.demo.Prerequisites;
import io.astaire.cli.demo.UiRelay;
import io.astaire.cli.lab.ChainLab;
import io.astaire.cli.lab.LabException;
import io.astaire.cli.lab.LabNamespace;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code astaire demo}: the whole system on one machine, with real traffic, in one command. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Build a whole chain on this machine in network namespaces, send real traffic through it, show every hop live.",
        description = {
                "Builds, on this machine, everything a chain needs, each part in its own network namespace:%n",
                "  client -> ingress [TUN] -> acl -> count -> pass -> egress [TUN] -> server%n",
                "The client (10.1.0.2) and the server (10.2.0.2) are plain namespaces. "
                        + "The ingress, the three function nodes and the egress are real 'astaire' processes (this jar) that "
                        + "take the chain from a real controller (its own namespace, 10.99.0.100:8080) and talk NSH over "
                        + "VXLAN-GPE (UDP 4790) across a bridge. The client pings the server and downloads a file over "
                        + "HTTP (checked byte for byte), again and again, and knocks on port 8023, which the acl "
                        + "denies; the demo itself does all three and serves the file, from threads inside the client and "
                        + "server namespaces, so it needs no ping, curl or python. The table shows, per hop, packets per second forward (->, client to server) and "
                        + "back (<-, the replies on the reverse path), totals, bytes and drops, read from each node's "
                        + "/metrics. The controller's live web view (its /ui page: the chain as a graph, rates, drops, "
                        + "versions, traces) is relayed to http://127.0.0.1:8080/ui on this machine (--ui-port).%n",
                "Ctrl-C stops it and removes every namespace and process it created (also when it fails). The "
                        + "processes' logs, the topology it applied and the controller's database stay in a temporary "
                        + "folder whose path it prints.%n",
                "Needs root (network namespaces, veth, TUN, a raw ICMP socket), /dev/net/tun, and the ip tool "
                        + "(iproute2); it checks them first and names what is missing.%n"},
        footer = {"%nExamples:",
                "  sudo astaire demo                          # live table until Ctrl-C",
                "  sudo astaire demo --duration 30            # 30 s live, then a summary",
                "  sudo astaire demo --non-interactive --duration 10   # for scripts and CI",
                "  sudo astaire demo --ui-port 9000           # the web view on http://127.0.0.1:9000/ui",
                "%nWhile it runs, look inside (the prefix is printed at start):",
                "  ip netns list | grep astaire-",
                "  ip netns exec <prefix>sf2 curl -s 127.0.0.1:9090/metrics | grep counter   # if curl is installed",
                "  ip netns exec <prefix>sf2 tcpdump -ni u0 udp port 4790      # NSH on the wire",
                "  ip netns exec <prefix>controller java -jar astaire.jar describe chain demo",
                "%nExit status: 0 traffic crossed every hop both ways; 1 it did not, or building",
                "failed; 2 the machine lacks something (the message says what).",
                "docs/demo.md has the picture with every address, and how to clean up by hand."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "Run this long, then print a summary and clean up (default: until Ctrl-C; "
                    + "with --non-interactive: 20).")
    Integer duration;

    @Option(names = "--non-interactive",
            description = "No screen refresh: print a table now and then, a summary at the end, and exit 0 only "
                    + "if traffic crossed every hop both ways. Implied when standard output is not a terminal.")
    boolean nonInteractive;

    @Option(names = "--refresh", paramLabel = "SECONDS", defaultValue = "1",
            description = "Seconds between table refreshes (default: ${DEFAULT-VALUE}).")
    double refresh;

    @Option(names = "--ui-port", paramLabel = "PORT", defaultValue = "8080",
            description = "Serve the controller's web view (/ui) on 127.0.0.1:PORT of this machine while the demo runs "
                    + "(default: ${DEFAULT-VALUE}; 0: any free port). The demo prints its URL.")
    int uiPort;

    @Option(names = "--logs", paramLabel = "DIR",
            description = "Folder for the logs (default: a new folder under the system temp folder).")
    Path logs;

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Override
    public Integer call() {
        PrintStream out = System.out;
        PrintStream err = System.err;
        List<String> problems = Prerequisites.problems();
        if (!problems.isEmpty()) {
            err.println("astaire demo: this machine cannot run the demo yet:");
            problems.forEach(p -> err.println("  - " + p));
            return 2;
        }
        if (duration != null && duration < 1) {
            err.println("astaire demo: --duration must be at least 1 second, was " + duration);
            return 2;
        }
        if (refresh < 0.2 || refresh > 60) {
            err.println("astaire demo: --refresh must be within 0.2-60 seconds, was " + refresh);
            return 2;
        }
        if (uiPort < 0 || uiPort > 65535) {
            err.println("astaire demo: --ui-port must be within 0-65535, was " + uiPort);
            return 2;
        }
        java.net.ServerSocket uiSocket;
        try {
            uiSocket = UiRelay.bind(uiPort); // before building anything: a port in use fails at once
        } catch (UiRelay.PortInUse e) {
            err.println("astaire demo: " + e.getMessage());
            return 2;
        }
        boolean live = !nonInteractive && System.console() != null && System.console().isTerminal();
        long seconds = duration != null ? duration : (live ? Long.MAX_VALUE / 2_000_000_000L : 20);
        Path root;
        try {
            root = logs != null ? Files.createDirectories(logs) : Files.createTempDirectory("astaire-demo-");
        } catch (IOException e) {
            err.println("astaire demo: cannot create the log folder: " + e.getMessage());
            closeQuietly(uiSocket);
            return 1;
        }

        DemoRun run = new DemoRun(out, DemoRun.astaireCommand(DemoCommand.class), root).webView(uiSocket);
        Thread hook = new Thread(() -> {
            out.println();
            out.println("astaire demo: stopping, removing everything it created ...");
            run.close();
        }, "demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            out.println("astaire demo: a chain of " + DemoTopology.FUNCTIONS.size() + " functions on this machine; logs in " + root);
            run.start();
            int status = watch(run, out, live, seconds);
            return status;
        } catch (LabException | IllegalStateException | java.io.UncheckedIOException e) {
            err.println("astaire demo: failed: " + e.getMessage());
            err.println("astaire demo: the logs of every process are in " + run.logDir());
            return 1;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
                run.close();
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is cleaning up
            }
        }
    }

    private int watch(DemoRun run, PrintStream out, boolean live, long seconds) {
        long periodMillis = Math.round(refresh * 1000);
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        // Non-interactive: about four snapshots over the run, whatever its length.
        long snapshotEvery = Math.max(periodMillis, seconds * 1000 / 4);
        long nextSnapshot = System.nanoTime() + snapshotEvery * 1_000_000L;
        List<Hop.Sample> before = run.sample();
        if (!live) {
            out.println();
            out.println(header(run, start));
            out.print(HopTable.render(before, null));
        }
        while (System.nanoTime() < end) {
            DemoRunSleep.sleep(Math.min(periodMillis, Math.max(1, (end - System.nanoTime()) / 1_000_000L)));
            if (run.closed()) {
                return 130; // Ctrl-C: the shutdown hook cleans up
            }
            List<Hop.Sample> now = run.sample();
            if (live) {
                out.print("\033[H\033[2J");
                out.println(header(run, start));
                out.print(HopTable.render(now, before));
                out.println();
                if (run.webViewUrl() != null) {
                    out.println("Web view: " + run.webViewUrl());
                }
                out.println("Ctrl-C stops the demo and removes everything. Logs: " + run.logDir());
                out.flush();
                before = now;
            } else if (System.nanoTime() >= nextSnapshot) {
                out.println();
                out.println(header(run, start));
                out.print(HopTable.render(now, before));
                out.flush();
                before = now;
                nextSnapshot = System.nanoTime() + snapshotEvery * 1_000_000L;
            }
        }
        return summary(run, out, before);
    }

    private int summary(DemoRun run, PrintStream out, List<Hop.Sample> before) {
        DemoRun.Checks checks = run.check();
        String described = run.describeChain();
        LabNamespace.Result traced = run.traceChain();
        List<Hop.Sample> last = run.sample();
        out.println();
        out.println("The controller's view (astaire describe chain " + DemoTopology.CHAIN + ", counters the nodes report):");
        described.lines().forEach(l -> out.println("  " + l));
        out.println();
        out.println("One probe's path (astaire trace --chain " + DemoTopology.CHAIN + " --to " + ChainLab.SERVER
                + " --proto tcp --dport " + DemoTopology.HTTP_PORT + "):");
        traced.output().lines().forEach(l -> out.println("  " + l));
        out.println();
        out.println("Summary (" + LocalTime.now().format(CLOCK) + "):");
        out.print(HopTable.render(last, before));
        int through = 0;
        for (Hop.Sample s : last) {
            boolean ok = s.carriedBothWays();
            through += ok ? 1 : 0;
            out.printf(Locale.ROOT, "  hop %-8s %s forward=%d reverse=%d bytes=%d drops=%d%n", s.hop().label(),
                    ok ? "ok     " : "NO TRAFFIC", s.forward(), s.reverse(), s.bytes(), s.drops());
        }
        out.println("  ping:   " + (checks.ping() ? "ok  " : "FAIL") + " " + checks.pingLine());
        out.println("  http:   " + (checks.http() ? "ok  " : "FAIL") + " " + checks.httpLine());
        out.println("  acl:    " + (checks.denied() ? "ok   TCP to port " + DemoTopology.DENIED_PORT + " was denied"
                : "note TCP to port " + DemoTopology.DENIED_PORT + " was not denied"));
        String traceLast = traced.output().strip().lines().reduce((x, y) -> y).orElse("");
        out.println("  trace:  " + (traced.ok() ? "ok   " : "FAIL ") + traceLast);
        boolean ok = through == last.size() && checks.ok() && traced.ok();
        out.println(ok
                ? "Result: traffic went through every hop (" + through + " of " + last.size() + ", both ways)."
                : "Result: FAILED: traffic went through " + through + " of " + last.size()
                        + " hops both ways" + (traced.ok() ? "" : ", the probe did not come back") + "; see the logs in " + run.logDir());
        out.flush();
        return ok ? 0 : 1;
    }

    private static String header(DemoRun run, long start) {
        return String.format(Locale.ROOT, "astaire demo  %s  up %ds  chain '%s' SPI %d (replies %d)  %s -> %s  netns %s<NETNS>",
                LocalTime.now().format(CLOCK), (System.nanoTime() - start) / 1_000_000_000L, DemoTopology.CHAIN,
                DemoTopology.SPI, DemoTopology.REVERSE_SPI, ChainLab.CLIENT, ChainLab.SERVER, run.namespacePrefix());
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // exiting anyway
        }
    }

    /** Sleeping that gives up quietly when the JVM is shutting down (Ctrl-C). */
    private static final class DemoRunSleep {
        static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
