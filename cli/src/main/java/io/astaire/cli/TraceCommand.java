package io.astaire.cli;

import io.astaire.controller.ControllerClient;
import io.astaire.dataplane.oam.TraceCollector;
import io.astaire.dataplane.oam.TraceHop;
import io.astaire.dataplane.oam.TracePlan;
import io.astaire.dataplane.oam.TraceRequest;
import io.astaire.dataplane.oam.TraceResult;
import io.astaire.model.ModelException;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code astaire trace}: traceroute for a chain. */
@Command(name = "trace", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Send a probe through a chain and show every hop it took.",
        description = {"Traceroute for a chain. Sends one probe packet for the flow to the ingress, which classifies it "
                + "like real traffic; every node that handles it (ingress, each function node, egress) reports where "
                + "it is, the service index and TTL in and out, its verdict and, for a drop, the reason and the "
                + "function. On a symmetric chain the egress turns the probe around, so the reverse path is traced "
                + "too. Probes are never delivered to the server or the client, are rate limited at every node, and "
                + "are counted (astaire_oam_trace_total).%n",
                "With --controller (or $" + ControllerClient.URL_ENV + ") the controller sends the probe and collects "
                        + "the reports (a write: it needs the token); with -f the probe goes from here to the ingress "
                        + "of the topology file, which needs this host to reach the ingress and the nodes to reach "
                        + "this host.%n",
                "Exit status: 0 when the probe arrived (and came back on a symmetric chain), 1 when it was dropped, "
                        + "matched no rule or was lost, 2 for a usage error.%n"},
        footer = {"%nExamples:",
                "  astaire trace --chain web --to 10.2.0.2                       # ICMP echo",
                "  astaire trace --chain web --to 10.2.0.2 --proto tcp --dport 80",
                "  astaire trace -f chain.yaml --chain web --to 10.2.0.2 --dport 443 --json"})
final class TraceCommand implements Callable<Integer> {

    private static final Map<String, String> OPTION_OF = Map.of("chain", "--chain", "destination", "--to", "source", "--from",
            "protocol", "--proto", "sourcePort", "--sport", "destinationPort", "--dport", "timeoutMillis", "--timeout");

    @Spec
    CommandSpec spec;

    @Option(names = "--chain", required = true, paramLabel = "NAME", description = "The chain to trace.")
    String chain;

    @Option(names = "--to", required = true, paramLabel = "ADDRESS", description = "The flow's destination (IPv4 or IPv6).")
    String to;

    @Option(names = "--from", paramLabel = "ADDRESS",
            description = "The flow's source (default: an address of the chain's first rule that could match, else 192.0.2.1 / 2001:db8::1).")
    String from;

    @Option(names = "--proto", paramLabel = "PROTOCOL",
            description = "tcp, udp, icmp, icmpv6, another name or 0-255 (default: icmp, or tcp with --dport). TCP sends a SYN, ICMP an echo request.")
    String protocol;

    @Option(names = "--sport", paramLabel = "PORT", description = "Source port (TCP/UDP; default: a random ephemeral one).")
    Integer sourcePort;

    @Option(names = "--dport", paramLabel = "PORT", description = "Destination port (required for TCP and UDP).")
    Integer destinationPort;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2s",
            description = "How long to wait for the nodes' reports (100ms-10s, default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = {"-f", "--topology"}, paramLabel = "FILE",
            description = "Trace against this topology file from this host, without a controller.")
    Path topologyFile;

    @Option(names = "--controller", paramLabel = "URL", description = "The controller (default: $" + ControllerClient.URL_ENV + " or " + ControllerClient.DEFAULT_URL + ").")
    String controller;

    @Option(names = "--token", paramLabel = "TOKEN", description = "The controller's write token (default: $" + ControllerClient.TOKEN_ENV + ").")
    String token;

    @Option(names = "--json", description = "Print the result as JSON (the controller's trace response).")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (topologyFile != null && controller != null) {
            err.println("astaire trace: give either -f FILE or --controller URL, not both");
            return 2;
        }
        TraceResult result;
        try {
            Integer timeoutMillis = (int) Math.min(Integer.MAX_VALUE, SfCommand.duration("--timeout", timeout).toMillis());
            TraceRequest request = new TraceRequest(to, from, protocol, sourcePort, destinationPort, timeoutMillis);
            result = topologyFile != null ? traceFromHere(request) : traceByController(request);
        } catch (TracePlan.Refused e) {
            err.println("astaire trace: " + OPTION_OF.getOrDefault(e.field(), e.field()) + ": " + e.problem());
            return 2;
        } catch (IllegalArgumentException | ModelException e) {
            err.println("astaire trace: " + e.getMessage());
            return 2;
        } catch (ControllerClient.Failure e) {
            err.println("astaire trace: " + withOptionNames(e.getMessage()));
            return e.status() == 400 ? 2 : 1;
        } catch (IOException e) {
            err.println("astaire trace: " + e.getMessage());
            return 1;
        }
        out.print(json ? TopologyCodec.toJson(result) + "\n" : render(result));
        out.flush();
        return result.arrived() ? 0 : 1;
    }

    private TraceResult traceFromHere(TraceRequest request) throws IOException {
        Topology topology = TopologyCodec.read(topologyFile);
        TracePlan plan = request.plan(topology, chain);
        Duration wait = request.timeout();
        InetSocketAddress ingress;
        try {
            ingress = new InetSocketAddress(InetAddress.getByName(plan.ingress().host()), plan.ingress().port());
        } catch (UnknownHostException e) {
            throw new IOException("the ingress address '" + plan.ingress() + "' does not resolve from here");
        }
        return TraceCollector.run(plan, ingress, wait);
    }

    private TraceResult traceByController(TraceRequest request) {
        request.timeout(); // refused here, before a request goes out
        request.checkFlow();
        ControllerClient client = ControllerClient.of(controller, token);
        String path = "/api/v1/chains/" + URLEncoder.encode(chain, StandardCharsets.UTF_8) + "/trace";
        ControllerClient.Response r = client.post(path, TopologyCodec.toJson(request));
        return TopologyCodec.parse(r.body(), TraceResult.class);
    }

    /** "destination: ..." from the controller reads "--to: ..." here. */
    private static String withOptionNames(String message) {
        int colon = message.indexOf(": ");
        if (colon > 0 && OPTION_OF.containsKey(message.substring(0, colon))) {
            return OPTION_OF.get(message.substring(0, colon)) + message.substring(colon);
        }
        return message;
    }

    /** The hops as a table per direction, then the outcome. */
    static String render(TraceResult r) {
        StringBuilder s = new StringBuilder();
        s.append("trace ").append(r.trace()).append(": chain ").append(r.chain()).append(", ").append(r.flow()).append('\n');
        for (String direction : List.of(TraceHop.FORWARD, TraceHop.REVERSE)) {
            List<TraceHop> hops = r.hops().stream().filter(h -> direction.equals(h.direction())).toList();
            if (hops.isEmpty()) {
                continue;
            }
            s.append(direction).append('\n');
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("HOP", "NODE", "ADDRESS", "SI", "TTL", "+MS", "WHAT"));
            long previous = -1;
            int n = 1;
            for (TraceHop h : hops) {
                long at = h.elapsedMicros() == null ? 0 : h.elapsedMicros();
                String ms = String.format(Locale.ROOT, previous < 0 ? "%.3f" : "+%.3f", (at - Math.max(previous, 0)) / 1000.0);
                previous = at;
                rows.add(List.of(Integer.toString(n++), name(h), nullToDash(h.address()), inOut(h.siIn(), h.siOut()),
                        inOut(h.ttlIn(), h.ttlOut()), ms, what(h)));
            }
            s.append(GetCommand.table(rows.getFirst(), rows.subList(1, rows.size())).indent(2));
        }
        s.append(r.outcome()).append(": ").append(r.message()).append('\n');
        return s.toString();
    }

    private static String name(TraceHop h) {
        return h.node() != null ? h.label() + " (" + h.node() + ")" : h.label();
    }

    private static String what(TraceHop h) {
        StringBuilder w = new StringBuilder(h.verdict());
        if (h.reason() != null) {
            w.append(' ').append(h.reason());
            if (h.droppedBy() != null) {
                w.append(" by ").append(h.droppedBy());
            }
        }
        if (h.detail() != null) {
            w.append(" (").append(h.detail()).append(')');
        }
        if (h.next() != null) {
            w.append(" -> ").append(h.next());
        }
        return w.toString();
    }

    private static String inOut(Integer in, Integer out) {
        if (in == null && out == null) {
            return "-";
        }
        return (in == null ? "" : in.toString()) + (out == null ? (in == null ? "" : "") : "->" + out);
    }

    private static String nullToDash(String s) {
        return s == null ? "-" : s;
    }
}
