package io.astaire.cli.demo;

import io.astaire.cli.lab.ChainLab;
import io.astaire.cli.lab.Lab;
import io.astaire.cli.lab.LabException;
import io.astaire.cli.lab.LabHttp;
import io.astaire.cli.lab.LabNamespace;
import io.astaire.cli.lab.LabProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One run of the demo: builds the lab (client, ingress, acl, count, pass, egress, server, plus
 * the controller in its own namespace on the underlay bridge), applies the chain to the
 * controller, starts every role as a real {@code astaire} process watching the controller, serves
 * HTTP in the server namespace and drives ICMP echo, HTTP downloads and the denied connection
 * from the client namespace, all from this process (threads in those namespaces: the demo needs
 * no ping, curl or python3), and reads each node's {@code /metrics} inside its namespace. {@link #close()} (also from a shutdown hook)
 * stops every process and deletes every namespace; the logs stay.
 */
public final class DemoRun implements AutoCloseable {
    /** Served by the demo's HTTP server in the server namespace and fetched in a loop by the client. */
    static final int BLOB_BYTES = 4 * 1024 * 1024;
    static final String INGRESS_TUN = "tin0";
    static final String EGRESS_TUN = "teg0";
    private static final long READY_SECONDS = 90;

    private final PrintStream out;
    private final List<String> astaire;
    private final Path logRoot;
    private final String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    private final List<Hop> hops = Hop.all();
    private final ExecutorService scrapers = Executors.newVirtualThreadPerTaskExecutor();
    private volatile ChainLab chain;
    private volatile LabNamespace controllerNs;
    private volatile DemoHttpServer web;
    private volatile ClientProbes probes;
    private volatile ClientTraffic traffic;
    private volatile java.net.ServerSocket uiSocket;
    private volatile UiRelay uiRelay;
    private volatile boolean closed;
    private int step;
    private long startNanos;

    /**
     * @param astaire the command line that runs astaire (see {@link #astaireCommand})
     * @param logRoot the folder under which this run's logs go
     */
    public DemoRun(PrintStream out, List<String> astaire, Path logRoot) {
        this.out = out;
        this.astaire = List.copyOf(astaire);
        this.logRoot = logRoot;
    }

    /**
     * The command that starts this same astaire: the running jar (found from the code source of
     * {@code anchor}) with the running JVM, or the class path when not run from a jar; with the
     * running JVM's AOT cache when it has one (the launcher's), so the demo's nodes start warm too.
     */
    public static List<String> astaireCommand(Class<?> anchor) {
        return astaireCommand(anchor, java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    /** {@link #astaireCommand(Class)} for a JVM started with {@code jvmArguments}. */
    static List<String> astaireCommand(Class<?> anchor, List<String> jvmArguments) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:-UsePerfData"));
        for (String argument : jvmArguments) {
            if (argument.startsWith("-XX:AOTCache=")) {
                // Same jar and native-access flag as the parent, so the JVM takes the cache; should it
                // refuse it anyway, it says so only on -Xlog:aot, which stays off.
                cmd.addAll(List.of(argument, "-Xlog:aot*=off"));
            }
        }
        Path source;
        try {
            source = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            source = null;
        }
        if (source != null && Files.isRegularFile(source) && source.toString().endsWith(".jar")) {
            cmd.addAll(List.of("-jar", source.toString()));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.astaire.cli.AstaireCommand"));
        }
        return cmd;
    }

    /**
     * Serves the web view to this machine through {@code listener} (bound in the host's namespace
     * by {@link UiRelay#bind}) once the controller runs; the run closes it.
     */
    public DemoRun webView(java.net.ServerSocket listener) {
        this.uiSocket = listener;
        return this;
    }

    /** The web view's address with the write token in the fragment (the browser never sends it), or null without one. */
    public String webViewUrl() {
        UiRelay r = uiRelay;
        return r == null ? null : "http://127.0.0.1:" + r.port() + "/ui#token=" + token;
    }

    /** True once {@link #close()} ran (Ctrl-C or the end of the run). */
    public boolean closed() {
        return closed;
    }

    public List<Hop> hops() {
        return hops;
    }

    /** Where the processes' logs, the topology file and the controller's database are. */
    public Path logDir() {
        ChainLab c = chain;
        return c == null ? logRoot : c.lab().logDir();
    }

    /** The namespaces' common prefix, e.g. {@code astaire-1234-1a2b3-}. */
    public String namespacePrefix() {
        return "astaire-" + chain.lab().id() + "-";
    }

    /** Builds and starts everything; throws {@link LabException} naming what failed. */
    public void start() {
        long t0 = System.nanoTime();
        startNanos = t0;
        step("building network namespaces, veth links, the underlay bridge and routes");
        Lab lab = new Lab(logRoot);
        chain = ChainLab.build(lab, astaire, DemoTopology.FUNCTIONS.size());
        if (closed) {
            throw new LabException("stopped");
        }
        out.println("        namespaces: " + namespacePrefix() + "{client,ingress,sf1,sf2,sf3,egress,server,fabric,controller}");
        out.println("        logs:       " + logDir());
        LabNamespace ctl = ControllerNamespace.attach(chain, DemoTopology.CONTROLLER_ADDRESS);
        controllerNs = ctl;

        step("starting the controller (" + DemoTopology.controllerUrl() + ", SQLite in the log folder)");
        LabProcess controller = lab.start("controller", ctl, command("controller",
                "--db", logDir().resolve("controller.db").toString(),
                "--listen", "0.0.0.0:" + DemoTopology.CONTROLLER_PORT, "--token", token));
        awaitHttp(controller, "http://127.0.0.1:" + DemoTopology.CONTROLLER_PORT + "/healthz");
        if (uiSocket != null) {
            uiRelay = UiRelay.start(uiSocket, ctl, new java.net.InetSocketAddress(DemoTopology.CONTROLLER_ADDRESS, DemoTopology.CONTROLLER_PORT));
        }

        step("applying the chain: astaire apply -f " + logDir().resolve("topology.yaml"));
        Path topology = logDir().resolve("topology.yaml");
        write(topology, DemoTopology.yaml().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        // A short-lived client: the quick compiler alone starts it faster.
        List<String> apply = new ArrayList<>(astaire);
        apply.add(1, "-XX:TieredStopAtLevel=1");
        apply.addAll(List.of("apply", "-f", topology.toString(),
                "--controller", "http://127.0.0.1:" + DemoTopology.CONTROLLER_PORT, "--token", token));
        LabNamespace.Result applied = ctl.execResult(120, apply.toArray(String[]::new));
        if (!applied.ok()) {
            throw new LabException("astaire apply failed (exit " + applied.exit() + "):\n" + applied.output());
        }
        indent(applied.output());

        step("starting ingress, acl, count, pass and egress, each an astaire process watching the controller");
        String url = DemoTopology.controllerUrl();
        // The node secret the controller generated beside its database: each node derives its own token from it.
        String nodeToken = logDir().resolve("controller.db.node-token").toString();
        List<LabProcess> nodes = new ArrayList<>();
        nodes.add(chain.startAstaire("ingress", "ingress", "ingress", "--controller", url, "--node-token-file", nodeToken, "--tun", INGRESS_TUN,
                "--metrics-listen", "0.0.0.0:" + DemoTopology.METRICS_PORT));
        for (DemoTopology.Function f : DemoTopology.FUNCTIONS) {
            nodes.add(chain.startAstaire("sf-" + f.name(), f.role(), "sf", "--function", f.name(), "--controller", url,
                    "--node-token-file", nodeToken,
                    "--workers", "1", "--report-interval", "2s", "--metrics-listen", "0.0.0.0:" + DemoTopology.METRICS_PORT));
        }
        nodes.add(chain.startAstaire("egress", "egress", "egress", "--controller", url, "--node-token-file", nodeToken, "--tun", EGRESS_TUN,
                "--metrics-listen", "0.0.0.0:" + DemoTopology.METRICS_PORT));
        for (LabProcess p : nodes) {
            chain.awaitReady(p, DemoTopology.METRICS_PORT, READY_SECONDS);
            out.println("        " + p.name() + " ready (pid " + p.pid() + ", log " + p.log().getFileName() + ")");
        }
        chain.routeIntoTunnels(INGRESS_TUN, EGRESS_TUN);

        step("serving HTTP in the server namespace (" + ChainLab.SERVER + ":" + DemoTopology.HTTP_PORT
                + ", the JDK's HTTP server in this process)");
        byte[] blob = new byte[BLOB_BYTES];
        new Random(7).nextBytes(blob);
        web = DemoHttpServer.start(chain.ns("server"), DemoTopology.HTTP_PORT,
                Map.of("/blob.bin", blob, "/index.html", "hello through the chain\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        awaitHttp(chain.ns("server"), "http-server", "http://127.0.0.1:" + DemoTopology.HTTP_PORT + "/index.html");

        step("sending traffic from the client namespace (" + ChainLab.CLIENT + " -> " + ChainLab.SERVER + ", from this process)");
        LabNamespace client = chain.ns("client");
        InetAddress server = InetAddress.ofLiteral(ChainLab.SERVER);
        probes = client.call(() -> new ClientProbes(client, server, blob));
        String blobUrl = "http://" + ChainLab.SERVER + ":" + DemoTopology.HTTP_PORT + "/blob.bin";
        traffic = new ClientTraffic(client, probes, blobUrl, DemoTopology.DENIED_PORT, logDir());
        out.println("        ICMP echo to " + ChainLab.SERVER + " every 0.2 s (ping.log)");
        out.println("        GET " + blobUrl + " (4 MiB, checked byte for byte) at 2 MB/s, in a loop; then port "
                + DemoTopology.DENIED_PORT + ", which the acl denies (http-loop.log)");
        if (uiRelay != null) {
            out.println("        web view: " + webViewUrl() + " (the controller's /ui, relayed from its namespace)");
        }
        out.printf(Locale.ROOT, "        up in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /** Reads every hop's /metrics inside its namespace, in parallel. */
    public List<Hop.Sample> sample() {
        ChainLab c = chain;
        List<Future<Hop.Sample>> futures = new ArrayList<>();
        for (Hop hop : hops) {
            futures.add(scrapers.submit(() -> scrape(c, hop)));
        }
        List<Hop.Sample> samples = new ArrayList<>();
        for (int i = 0; i < hops.size(); i++) {
            try {
                samples.add(futures.get(i).get(10, TimeUnit.SECONDS));
            } catch (Exception e) {
                samples.add(Hop.Sample.down(hops.get(i), System.nanoTime()));
            }
        }
        return samples;
    }

    private Hop.Sample scrape(ChainLab c, Hop hop) {
        if (closed || c == null) {
            return Hop.Sample.down(hop, System.nanoTime());
        }
        LabHttp.Answer r = LabHttp.get(c.ns(hop.role()), "http://127.0.0.1:" + DemoTopology.METRICS_PORT + "/metrics",
                Duration.ofSeconds(2));
        long now = System.nanoTime();
        if (!r.ok()) {
            return Hop.Sample.down(hop, now);
        }
        return hop.read(PromSamples.parse(r.body()), now);
    }

    /** What the final checks found. */
    public record Checks(boolean ping, String pingLine, boolean http, String httpLine, boolean denied) {
        public boolean ok() {
            return ping && http;
        }
    }

    /** Final checks with fresh traffic: three pings, one unthrottled download checked for size, the denied port. */
    public Checks check() {
        ClientProbes p = probes;
        return chain.ns("client").call(() -> {
            ClientProbes.Pings ping = p.ping(3, Duration.ofMillis(200), Duration.ofSeconds(2), 60_000);
            ClientProbes.Download http = p.download("http://" + ChainLab.SERVER + ":" + DemoTopology.HTTP_PORT + "/blob.bin", 0,
                    Duration.ofSeconds(50));
            boolean httpOk = http.ok(BLOB_BYTES);
            String httpLine = httpOk
                    ? String.format(Locale.ROOT, "HTTP GET /blob.bin: 200, %d bytes (the server's, byte for byte) at %.1f MB/s",
                    BLOB_BYTES, http.bytesPerSecond() / 1e6)
                    : "HTTP GET /blob.bin failed: status " + http.status() + ", " + http.bytes() + " bytes"
                    + (http.intact() ? "" : ", not the server's bytes") + (http.problem() == null ? "" : ": " + http.problem());
            boolean denied = !p.connects(DemoTopology.DENIED_PORT, Duration.ofSeconds(2));
            return new Checks(ping.ok(), ping.line(), httpOk, httpLine, denied);
        });
    }

    /**
     * What the controller knows: {@code astaire describe chain demo} run in the controller's
     * namespace (the nodes report their counters to it every 2 s).
     */
    public String describeChain() {
        List<String> cmd = new ArrayList<>(astaire);
        cmd.add(1, "-XX:TieredStopAtLevel=1");
        cmd.addAll(List.of("describe", "chain", DemoTopology.CHAIN,
                "--controller", "http://127.0.0.1:" + DemoTopology.CONTROLLER_PORT));
        LabNamespace.Result r = controllerNs.execResult(60, cmd.toArray(String[]::new));
        return r.ok() ? r.output() : "(astaire describe failed, exit " + r.exit() + ": " + r.output().strip() + ")";
    }

    /**
     * One probe through the chain as the HTTP download's first packet would go: {@code astaire trace}
     * run in the controller's namespace against the controller (which sends the probe and collects
     * the nodes' reports). Exit 0 when it arrived at the egress and came back to the ingress.
     */
    public LabNamespace.Result traceChain() {
        List<String> cmd = new ArrayList<>(astaire);
        cmd.add(1, "-XX:TieredStopAtLevel=1");
        cmd.addAll(List.of("trace", "--chain", DemoTopology.CHAIN, "--from", ChainLab.CLIENT, "--to", ChainLab.SERVER,
                "--proto", "tcp", "--dport", Integer.toString(DemoTopology.HTTP_PORT), "--timeout", "5s", // returns once it is back
                "--controller", "http://127.0.0.1:" + DemoTopology.CONTROLLER_PORT, "--token", token));
        return controllerNs.execResult(60, cmd.toArray(String[]::new));
    }

    /** Stops every process and deletes every namespace; safe to call twice and from a shutdown hook. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        scrapers.shutdownNow();
        closeQuietly(traffic);
        closeQuietly(probes);
        closeQuietly(web);
        closeQuietly(uiRelay);
        closeQuietly(uiSocket);
        ChainLab c = chain;
        if (c != null) {
            int processes = c.lab().processes().size();
            int namespaces = c.lab().namespaces().size();
            c.close();
            out.println("astaire demo: stopped " + processes + " processes, deleted " + namespaces
                    + " namespaces (" + namespacePrefix() + "*); logs kept in " + logDir());
        }
    }

    private List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(astaire);
        cmd.addAll(List.of(args));
        return cmd;
    }

    private void step(String what) {
        step++;
        out.printf(Locale.ROOT, "[%d/6 %5.1fs] %s%n", step, (System.nanoTime() - startNanos) / 1e9, what);
        out.flush();
    }

    private void indent(String text) {
        text.lines().filter(l -> !l.isBlank()).forEach(l -> out.println("        " + l));
    }

    private void awaitHttp(LabProcess p, String url) {
        awaitHttp(p.namespace(), p.name(), url, () -> {
            if (!p.isAlive()) {
                throw new LabException(p.name() + " exited (log " + p.log() + "):\n" + p.output());
            }
        }, () -> ":\n" + p.output());
    }

    private void awaitHttp(LabNamespace ns, String name, String url) {
        awaitHttp(ns, name, url, () -> {}, () -> "");
    }

    private void awaitHttp(LabNamespace ns, String name, String url, Runnable alive, java.util.function.Supplier<String> detail) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
        while (System.nanoTime() < deadline) {
            if (closed) {
                throw new LabException("stopped");
            }
            alive.run();
            if (LabHttp.get(ns, url, Duration.ofSeconds(1)).ok()) {
                return;
            }
            sleep(200);
        }
        throw new LabException(name + " did not answer " + url + " within " + READY_SECONDS + " s" + detail.get());
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // stopping: the namespaces go next, whatever this left
        }
    }

    private static void write(Path file, byte[] content) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted");
        }
    }
}
