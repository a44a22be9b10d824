package io.astaire.cli;

import io.astaire.dataplane.config.ControllerTopologySource;
import io.astaire.dataplane.config.FileTopologySource;
import io.astaire.dataplane.config.NodeStatusReporter;
import io.astaire.dataplane.config.TopologySource;
import io.astaire.dataplane.node.SfNode;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.dataplane.update.TopologyRejection;
import io.astaire.function.FunctionConfigException;
import io.astaire.model.HopAddress;
import io.astaire.model.ModelException;
import io.astaire.model.NodeToken;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code astaire sf}: a service function node. */
@Command(name = "sf", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Run a service function node: receive NSH packets (VXLAN-GPE over UDP), apply this node's functions "
                        + "to the inner packet, decrement SI per function and TTL once, forward to the next hop of the "
                        + "path. One worker thread and socket (SO_REUSEPORT) per core.%n",
                "Topology mode: --function NAME (repeatable) with --topology FILE or --controller URL runs those "
                        + "functions of the topology, with their kinds and configs; consecutive functions of a path "
                        + "that this node runs are applied in one pass.%n",
                "Fixed mode (benchmarks, quick tries): --kind KIND (repeatable) --listen HOST:PORT --next HOST:PORT "
                        + "applies the kinds in order to every packet and forwards everything to --next.%n"},
        footer = {"%nExamples:",
                "  astaire sf --function acl --topology examples/chain.yaml",
                "  astaire sf --function count --function pass --controller http://10.0.0.1:8080",
                "  astaire sf --kind passthrough --listen 127.0.0.1:19001 --next 127.0.0.1:19100 --metrics-listen 127.0.0.1:9101",
                "%nDrops are counted by reason (malformed, ttl_expired, unknown_path, function_verdict, no_next_hop,",
                "send_failed, internal_error) in astaire_sf_dropped_packets_total on /metrics. docs/node.md has more."})
final class SfCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--function", paramLabel = "NAME",
            description = "A function of the topology to run here (repeatable).")
    List<String> functions = new ArrayList<>();

    @Option(names = "--topology", paramLabel = "FILE",
            description = "The topology as a YAML/JSON file; reloaded when it changes (an invalid change is logged and ignored).")
    Path topology;

    @Option(names = "--controller", paramLabel = "URL",
            description = "The controller to watch for the topology, for example http://10.0.0.1:8080.")
    URI controller;

    @Option(names = "--kind", paramLabel = "KIND",
            description = "Fixed mode: a function kind to apply to every packet (repeatable, in order).")
    List<String> kinds = new ArrayList<>();

    @Option(names = "--next", paramLabel = "HOST:PORT",
            description = "Fixed mode: where every packet goes after the functions.")
    String next;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "UDP address to receive on (default: the first --function's address in the topology when it is one of "
                    + "this host's; every interface of its family when it is a DNS name or another host's).")
    String listen;

    @Option(names = "--workers", paramLabel = "N",
            description = "Worker threads, each with its own socket (default: the number of cores).")
    Integer workers;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9090",
            description = "Where /metrics, /healthz and /readyz are served (default: ${DEFAULT-VALUE}, this host only; "
                    + "0.0.0.0:9090 for a scraper or probe on another host; 'none' to disable).")
    String metricsListen;

    @Option(names = "--transport", paramLabel = "auto|native|nio", defaultValue = "auto",
            description = "UDP implementation: native = recvmmsg/sendmmsg through FFM (Linux), nio = DatagramChannel "
                    + "(default: ${DEFAULT-VALUE}, native where available).")
    String transport;

    @Option(names = "--offload", paramLabel = "auto|off", defaultValue = "${env:ASTAIRE_OFFLOAD:-auto}",
            description = "UDP segmentation offloads of the native transport: auto = GSO on send (runs of equal datagrams "
                    + "to one hop in one system call) and GRO on receive where the kernel has them; off = one datagram "
                    + "per message (default: ${DEFAULT-VALUE}; the environment variable ASTAIRE_OFFLOAD sets the default). "
                    + "The nio transport never uses them.")
    String offload;

    @Option(names = "--source-ports", paramLabel = "N", defaultValue = "" + TransportOptions.DEFAULT_SOURCE_PORTS,
            description = "UDP source ports each worker sends from (1-" + TransportOptions.MAX_SOURCE_PORTS + "): each flow "
                    + "always leaves from one of them, so the next hop's workers and ECMP spread flows (RFC 7348); "
                    + "1 sends from the listening port (default: ${DEFAULT-VALUE}; the native transport only).")
    int sourcePorts;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64",
            description = "Datagrams per receive/send system call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--max-datagram", paramLabel = "BYTES", defaultValue = "9216",
            description = "Largest datagram accepted; longer ones are dropped as malformed (default: ${DEFAULT-VALUE}).")
    int maxDatagram;

    @Option(names = "--dns-server", paramLabel = "HOST:PORT",
            description = "DNS server for hop names (default: env DNS_IP first, e.g. a node-local cache, then /etc/resolv.conf's; /etc/hosts is always read).")
    String dnsServer;

    @Option(names = "--dns-min-ttl", paramLabel = "DURATION", defaultValue = "5s",
            description = "Shortest time a DNS answer is kept, also the retry delay (default: ${DEFAULT-VALUE}).")
    String dnsMinTtl;

    @Option(names = "--dns-max-ttl", paramLabel = "DURATION", defaultValue = "5m",
            description = "Longest time a DNS answer is kept, whatever its TTL (default: ${DEFAULT-VALUE}).")
    String dnsMaxTtl;

    @Option(names = "--replica-hold-down", paramLabel = "DURATION", defaultValue = "5s",
            description = "Least time a replica that answered ICMP unreachable gets no flows; then it is probed (NSH OAM echo) and gets them back when it answers (default: ${DEFAULT-VALUE}).")
    String holdDown;

    @Option(names = "--drain", paramLabel = "DURATION", defaultValue = "30s",
            description = "After a change, how long this node keeps routing packets sent on a path's previous version "
                    + "(make-before-break: no packet in flight is lost; 0s keeps none) (default: ${DEFAULT-VALUE}).")
    String drain;

    @Option(names = "--name", paramLabel = "NAME",
            description = "This node's name in the controller's node list (default: sf-<first function>-<host name>).")
    String name;

    @Mixin
    NodeTokenOption nodeToken;

    @Option(names = "--report-interval", paramLabel = "DURATION", defaultValue = "10s",
            description = "With --controller: how often the node reports its status and counters (default: ${DEFAULT-VALUE}).")
    String reportInterval;

    /** Released to stop a node started from a test; the process stops it with SIGTERM/Ctrl-C. */
    final CountDownLatch stop = new CountDownLatch(1);
    volatile SfNode node;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SfNode.Builder builder = SfNode.builder();
        TopologySource source = null;
        String credential = null;
        try {
            configure(builder);
            if (controller != null) {
                credential = nodeToken.credential();
                if (credential != null) {
                    NodeToken.bearerFor(credential, nodeName()); // a token bound to another name fails here, at start
                }
            }
            if (!kinds.isEmpty()) {
                builder.fixed(kinds, parseHop("--next", next));
            } else {
                source = topology != null ? new FileTopologySource(topology) : new ControllerTopologySource(controller);
                builder.topology(source, functions);
            }
            node = builder.start();
        } catch (UsageError e) {
            err.println("astaire sf: " + e.getMessage());
            err.println("Try 'astaire sf --help'.");
            closeQuietly(source);
            return 2;
        } catch (ModelException e) {
            err.println("astaire sf: topology " + (topology != null ? topology + ": " : "") + e.getMessage());
            closeQuietly(source);
            return 2;
        } catch (FunctionConfigException | IllegalArgumentException e) {
            err.println("astaire sf: " + e.getMessage());
            closeQuietly(source);
            return 2;
        } catch (RuntimeException e) {
            err.println("astaire sf: cannot start: " + e.getMessage());
            closeQuietly(source);
            return 1;
        }
        out.println("astaire sf: listening on UDP " + node.localAddress()
                + (node.metricsAddress() == null ? "" : ", metrics on http://" + node.metricsAddress().getHostString()
                + ":" + node.metricsAddress().getPort() + "/metrics"));
        out.flush();
        SfNode running = node;
        NodeStatusReporter reporter = controller == null ? null : new NodeStatusReporter(controller, nodeName(), credential, "sf",
                running.functionNames(), running::topologyVersion, running::counterSnapshot, duration("--report-interval", reportInterval))
                .rejection(() -> TopologyRejection.forReport(running.rejection()));
        if (reporter != null) {
            reporter.bindMeters(running.meters());
            ((ControllerTopologySource) source).bindMeters(running.meters());
            source.subscribe(v -> reporter.reportNow()); // after the node's own listener: it has applied v by now
        }
        return RunUntilStopped.await(stop, "sf-shutdown", () -> {
            if (reporter != null) {
                reporter.close();
            }
            running.close();
        });
    }

    private String nodeName() {
        if (name != null) {
            return name;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = Long.toString(ProcessHandle.current().pid());
        }
        return "sf-" + functions.getFirst() + "-" + host;
    }

    private void configure(SfNode.Builder b) {
        b.drain(duration("--drain", drain));
        boolean fixed = !kinds.isEmpty() || next != null;
        if (fixed) {
            if (kinds.isEmpty()) {
                throw new UsageError("--next needs at least one --kind");
            }
            if (next == null) {
                throw new UsageError("--kind needs --next HOST:PORT (where every packet goes)");
            }
            if (listen == null) {
                throw new UsageError("--kind needs --listen HOST:PORT");
            }
            if (!functions.isEmpty() || topology != null || controller != null) {
                throw new UsageError("--kind/--next (fixed mode) cannot be combined with --function, --topology or --controller");
            }
        } else {
            if (functions.isEmpty()) {
                throw new UsageError("name the functions to run with --function NAME (or use --kind/--next for fixed mode)");
            }
            if ((topology == null) == (controller == null)) {
                throw new UsageError("give exactly one of --topology FILE or --controller URL");
            }
        }
        if (listen != null) {
            b.listen(parseSocket("--listen", listen));
        }
        b.name(name); // trace reports show it; without --name they show the node's functions and address
        if (workers != null) {
            if (workers < 1 || workers > 256) {
                throw new UsageError("--workers must be within 1-256, was " + workers);
            }
            b.workers(workers);
        }
        if (batch < 1 || batch > 1024) {
            throw new UsageError("--batch must be within 1-1024, was " + batch);
        }
        b.batchSize(batch);
        if (maxDatagram < 64 || maxDatagram > 65535) {
            throw new UsageError("--max-datagram must be within 64-65535, was " + maxDatagram);
        }
        b.maxDatagram(maxDatagram);
        if (!metricsListen.equalsIgnoreCase("none")) {
            b.metricsListen(parseSocket("--metrics-listen", metricsListen));
        }
        try {
            b.transport(DatagramTransports.Kind.parse(transport));
        } catch (IllegalArgumentException e) {
            throw new UsageError("--transport: " + e.getMessage());
        }
        try {
            b.offload(TransportOptions.Offload.parse(offload));
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
        if (sourcePorts < 1 || sourcePorts > TransportOptions.MAX_SOURCE_PORTS) {
            throw new UsageError("--source-ports must be within 1-" + TransportOptions.MAX_SOURCE_PORTS + ", was " + sourcePorts);
        }
        b.sourcePorts(sourcePorts);
        if (dnsServer != null) {
            b.dnsServer(parseSocket("--dns-server", dnsServer));
        }
        Duration min = duration("--dns-min-ttl", dnsMinTtl);
        Duration max = duration("--dns-max-ttl", dnsMaxTtl);
        if (min.isZero() || max.compareTo(min) < 0) {
            throw new UsageError("--dns-min-ttl must be positive and at most --dns-max-ttl");
        }
        b.resolverOptions(new HopResolver.Options(min, max, duration("--replica-hold-down", holdDown)));
        if (duration("--report-interval", reportInterval).isZero()) {
            throw new UsageError("--report-interval must be positive");
        }
    }

    private static HopAddress parseHop(String option, String text) {
        try {
            return HopAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageError(option + ": " + e.getMessage());
        }
    }

    /** {@code host:port}, {@code [v6]:port} or {@code :port} (all interfaces); port 0 picks a free one. */
    private static InetSocketAddress parseSocket(String option, String text) {
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon < 0 || (s.startsWith("[") && s.lastIndexOf(']') > colon)) {
            throw new UsageError(option + ": '" + text + "' is not HOST:PORT (for example 127.0.0.1:4790)");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new UsageError(option + ": '" + text + "': write IPv6 addresses as [addr]:port");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new UsageError(option + ": '" + text + "': port '" + s.substring(colon + 1) + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new UsageError(option + ": '" + text + "': port " + port + " is outside 0-65535");
        }
        try {
            return new InetSocketAddress(host.isEmpty() ? InetAddress.getByAddress(new byte[4]) : InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new UsageError(option + ": unknown host '" + host + "'");
        }
    }

    /** {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, or ISO-8601 ({@code PT5S}). */
    static Duration duration(String option, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("pt") || t.startsWith("p")) {
                return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
            }
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw new UsageError(option + ": '" + text + "' is not a duration (like 500ms, 5s, 2m)");
        }
    }

    private static void closeQuietly(TopologySource source) {
        if (source != null) {
            try {
                source.close();
            } catch (RuntimeException ignored) {
                // reporting the first failure
            }
        }
    }

    /** A bad flag: exit status 2 with the message. */
    static final class UsageError extends IllegalArgumentException {
        UsageError(String message) {
            super(message);
        }
    }
}
