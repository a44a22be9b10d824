package io.astaire.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.astaire.controller.ControllerClient;
import io.astaire.model.ChainSpec;
import io.astaire.model.ControllerProtocol;
import io.astaire.model.FunctionSpec;
import io.astaire.model.ModelException;
import io.astaire.model.RuleSpec;
import io.astaire.model.ServicePath;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code astaire describe chain NAME}: the paths a chain's packets take, hop by hop, with live counters. */
@Command(name = "describe", mixinStandardHelpOptions = true,
        header = "Show a chain's paths hop by hop, with addresses and live counters.",
        description = {"Describe a chain: its SPIs, the rules that send traffic to it, and each path hop by hop "
                + "(the service index a packet carries there, the function, its address) with the live counters "
                + "of the nodes that serve each hop, as they last reported to the controller.%n"},
        footer = {"%nExamples:",
                "  astaire describe chain web",
                "  watch -n1 astaire describe chain web     # counters moving live",
                "%nThe controller URL defaults to $" + ControllerClient.URL_ENV + ", else " + ControllerClient.DEFAULT_URL + "."})
final class DescribeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KIND", description = "chain")
    String kind;

    @Parameters(index = "1", paramLabel = "NAME", description = "The chain's name.")
    String name;

    @Option(names = "--controller", paramLabel = "URL", description = "The controller (default: $" + ControllerClient.URL_ENV + " or " + ControllerClient.DEFAULT_URL + ").")
    String controller;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!"chain".equalsIgnoreCase(kind) && !"chains".equalsIgnoreCase(kind)) {
            err.println("astaire describe: only chains can be described (astaire describe chain NAME); "
                    + "for other items use astaire get " + kind + " -o yaml");
            return 2;
        }
        try {
            ControllerClient client = ControllerClient.of(controller, null);
            ControllerClient.Response r = client.get("/api/v1/topology");
            Topology topology = TopologyCodec.parse(r.body());
            long version = Long.parseLong(r.header(ControllerProtocol.VERSION_HEADER));
            ChainSpec chain = topology.chain(name);
            if (chain == null) {
                List<String> names = topology.chains().stream().map(ChainSpec::name).toList();
                err.println("astaire describe: no chain named '" + name + "'" + (names.isEmpty() ? " (there are no chains yet)" : " (chains: " + String.join(", ", names) + ")"));
                return 1;
            }
            JsonNode nodes = client.get("/api/v1/nodes").json();
            out.print(describe(topology, version, chain, nodes));
            out.flush();
            return 0;
        } catch (ControllerClient.Failure e) {
            err.println("astaire describe: " + e.getMessage());
            return 1;
        } catch (ModelException | NumberFormatException e) {
            err.println("astaire describe: the controller sent a topology this client cannot read: " + e.getMessage());
            return 1;
        }
    }

    static String describe(Topology topology, long version, ChainSpec chain, JsonNode nodes) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("Chain:      %s%n", chain.name()));
        sb.append(String.format("SPI:        %d%s%n", chain.spi(), chain.isSymmetric()
                ? " forward, " + ChainSpec.reverseSpi(chain.spi()) + " reverse (symmetric: replies travel it backwards)"
                : " (one-way)"));
        List<RuleSpec> rules = topology.orderedRules().stream().filter(x -> x.chain().equals(chain.name())).toList();
        if (rules.isEmpty()) {
            sb.append(String.format("Rules:      none%n"));
        }
        for (int i = 0; i < rules.size(); i++) {
            sb.append(String.format("%s%s%n", i == 0 ? "Rules:      " : "            ", rule(rules.get(i))));
        }
        if (chain.name().equals(topology.defaultChain())) {
            sb.append(String.format("Default:    yes: traffic no rule matches goes here too%n"));
        }
        sb.append(String.format("Version:    %d (the controller's topology version)%n", version));
        for (ServicePath p : topology.paths()) {
            if (!p.chain().equals(chain.name())) {
                continue;
            }
            sb.append(String.format("%n%s path (SPI %d)%n", p.reverse() ? "Reverse" : "Forward", p.spi()));
            List<List<String>> rows = new ArrayList<>();
            for (int i = 0; i < p.hops().size(); i++) {
                ServicePath.Hop hop = p.hops().get(i);
                FunctionSpec f = hop.endpoint() ? null : topology.function(hop.name());
                List<String> serving = serving(hop, nodes, version);
                String si = Integer.toString(ServicePath.INITIAL_SI - i);
                String kindText = f == null ? "(endpoint)" : f.kind() + (f.replicas() > 1 ? " x" + f.replicas() : "");
                rows.add(List.of(si, hop.name(), kindText, hop.address().toString(), serving.isEmpty() ? "(no node reports it)" : serving.get(0)));
                for (int j = 1; j < serving.size(); j++) {
                    rows.add(List.of("", "", "", "", serving.get(j)));
                }
            }
            for (String line : GetCommand.table(List.of("SI", "HOP", "KIND", "ADDRESS", "NODES AND LIVE COUNTERS"), rows).split("\n")) {
                sb.append("  ").append(line).append(System.lineSeparator());
            }
        }
        return sb.toString();
    }

    private static String rule(RuleSpec r) {
        List<String> parts = new ArrayList<>();
        parts.add("priority " + r.priority());
        parts.add(r.protocol().label());
        if (r.source() != null) {
            parts.add("from " + r.source());
        }
        if (r.sourcePorts() != null) {
            parts.add("source ports " + r.sourcePorts());
        }
        if (r.destination() != null) {
            parts.add("to " + r.destination());
        }
        if (r.destinationPorts() != null) {
            parts.add("ports " + r.destinationPorts());
        }
        return r.name() + " (" + String.join(", ", parts) + ")";
    }

    /**
     * The nodes that serve a hop: those that run its function, or the ingress/egress for an endpoint.
     * Counters named {@code <function>.*} are the hop's own; a node with none such shows all of its.
     */
    private static List<String> serving(ServicePath.Hop hop, JsonNode nodes, long version) {
        List<String> lines = new ArrayList<>();
        if (nodes == null || !nodes.isArray()) {
            return lines;
        }
        for (JsonNode n : nodes) {
            boolean serves;
            if (hop.endpoint()) {
                serves = hop.name().equals(GetCommand.text(n, "role"));
            } else {
                serves = false;
                if (n.has("functions")) {
                    for (JsonNode f : n.get("functions")) {
                        serves |= f.asText().equals(hop.name());
                    }
                }
            }
            if (!serves) {
                continue;
            }
            StringBuilder line = new StringBuilder(GetCommand.text(n, "name"));
            if (n.hasNonNull("appliedVersion")) {
                long applied = n.get("appliedVersion").asLong();
                line.append(" v").append(applied).append(applied < version ? " (behind)" : "");
            }
            JsonNode rejected = n.get("rejected");
            if (rejected != null && rejected.isObject()) {
                line.append(" (rejected v").append(GetCommand.text(rejected, "version")).append(": ")
                        .append(GetCommand.text(rejected, "reason")).append(')');
            }
            line.append(", ").append(GetCommand.ago(GetCommand.text(n, "lastSeen")));
            if (n.path("stale").asBoolean()) {
                line.append(" (stale: no report for 3 intervals, counters are old)");
            }
            Map<String, Long> counters = new TreeMap<>();
            Map<String, Long> own = new TreeMap<>();
            if (n.has("counters")) {
                for (Map.Entry<String, JsonNode> e : n.get("counters").properties()) {
                    counters.put(e.getKey(), e.getValue().asLong());
                    if (e.getKey().startsWith(hop.name() + ".")) {
                        own.put(e.getKey(), e.getValue().asLong());
                    }
                }
            }
            Map<String, Long> shown = own.isEmpty() ? counters : own;
            if (!shown.isEmpty()) {
                line.append(":");
                shown.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
            }
            lines.add(line.toString());
        }
        return lines;
    }
}
