package io.astaire.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.astaire.controller.ControllerClient;
import io.astaire.model.TopologyCodec;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code astaire get chains|functions|rules|nodes|settings|topology [NAME] [-o table|yaml|json]}. */
@Command(name = "get", mixinStandardHelpOptions = true,
        header = "Show the functions, chains, rules, nodes, settings or whole topology the controller holds.",
        description = {"Show what the controller holds: functions, chains (with their SPIs), classifier rules, the "
                + "nodes that report to it, the settings, or the whole topology.%n"},
        footer = {"%nExamples:",
                "  astaire get chains",
                "  astaire get chain web -o yaml",
                "  astaire get nodes                        # versions applied, last seen",
                "  astaire get topology -o yaml > backup.yaml",
                "  astaire apply -f backup.yaml --prune     # restore it",
                "%nThe controller URL defaults to $" + ControllerClient.URL_ENV + ", else " + ControllerClient.DEFAULT_URL + "."})
final class GetCommand implements Callable<Integer> {

    enum Output { table, yaml, json }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RESOURCE", description = "functions, chains, rules, nodes, settings or topology (singular works too)")
    String resource;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "Show only this item.")
    String name;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table, yaml or json (default: ${DEFAULT-VALUE}).")
    Output output;

    @Option(names = "--controller", paramLabel = "URL", description = "The controller (default: $" + ControllerClient.URL_ENV + " or " + ControllerClient.DEFAULT_URL + ").")
    String controller;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String collection = collection(resource);
        if (collection == null) {
            err.println("astaire get: '" + resource + "' is not one of functions, chains, rules, nodes, settings, topology");
            return 2;
        }
        boolean single = collection.equals("settings") || collection.equals("topology");
        if (single && name != null) {
            err.println("astaire get: " + collection + " takes no name");
            return 2;
        }
        try {
            ControllerClient client = ControllerClient.of(controller, null);
            String path = "/api/v1/" + collection + (name == null ? "" : "/" + URLEncoder.encode(name, StandardCharsets.UTF_8));
            JsonNode data = client.get(path).json();
            if (output == Output.json) {
                out.println(TopologyCodec.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsString(data));
            } else if (output == Output.yaml || single) {
                out.print(TopologyCodec.yamlMapper().writeValueAsString(data));
            } else {
                List<JsonNode> items = new ArrayList<>();
                if (data.isArray()) {
                    data.forEach(items::add);
                } else {
                    items.add(data);
                }
                out.print(render(collection, items, collection.equals("functions") ? validatedKinds(client) : Set.of()));
            }
            out.flush();
            return 0;
        } catch (ControllerClient.Failure e) {
            err.println("astaire get: " + e.getMessage());
            return 1;
        } catch (JsonProcessingException e) {
            err.println("astaire get: cannot format the answer: " + e.getMessage());
            return 1;
        }
    }

    static String collection(String r) {
        return switch (r.toLowerCase(Locale.ROOT)) {
            case "function", "functions", "fn" -> "functions";
            case "chain", "chains" -> "chains";
            case "rule", "rules" -> "rules";
            case "node", "nodes" -> "nodes";
            case "settings", "setting" -> "settings";
            case "topology" -> "topology";
            default -> null;
        };
    }

    /** The kinds whose configs the controller checked when they were written; others are stored unvalidated. */
    private static Set<String> validatedKinds(ControllerClient client) {
        Set<String> kinds = new TreeSet<>();
        JsonNode v = client.get("/api/v1/function-kinds").json().get("validated");
        if (v != null) {
            v.forEach(k -> kinds.add(k.asText()));
        }
        return kinds;
    }

    static String render(String collection, List<JsonNode> items, Set<String> validatedKinds) {
        List<List<String>> rows = new ArrayList<>();
        List<String> header = switch (collection) {
            case "functions" -> List.of("NAME", "KIND", "ADDRESS", "REPLICAS", "CONFIG");
            case "chains" -> List.of("NAME", "SPI", "SYMMETRIC", "FUNCTIONS");
            case "rules" -> List.of("NAME", "PRIORITY", "PROTOCOL", "SOURCE", "DESTINATION", "SRC-PORTS", "DST-PORTS", "CHAIN");
            default -> List.of("NAME", "ROLE", "FUNCTIONS", "VERSION", "LAST-SEEN", "ADDRESS");
        };
        for (JsonNode n : items) {
            rows.add(switch (collection) {
                case "functions" -> List.of(text(n, "name"), text(n, "kind"), text(n, "address"), n.has("replicas") ? text(n, "replicas") : "1",
                        validatedKinds.contains(text(n, "kind")) ? "checked" : "unvalidated");
                case "chains" -> List.of(text(n, "name"), text(n, "spi"), text(n, "symmetric"), join(n.get("functions"), " > "));
                case "rules" -> List.of(text(n, "name"), text(n, "priority"), text(n, "protocol"), orAny(n, "source"), orAny(n, "destination"),
                        orAny(n, "sourcePorts"), orAny(n, "destinationPorts"), text(n, "chain"));
                default -> List.of(text(n, "name"), text(n, "role"), join(n.get("functions"), ","), text(n, "appliedVersion"),
                        ago(text(n, "lastSeen")) + (n.path("stale").asBoolean() ? " (stale)" : ""), text(n, "remoteAddress"));
            });
        }
        if (rows.isEmpty()) {
            return "no " + collection + "\n";
        }
        return table(header, rows);
    }

    /** Columns as wide as their widest cell, two spaces apart, like kubectl. */
    static String table(List<String> header, List<List<String>> rows) {
        int[] width = new int[header.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> r : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.size(); i++) {
                line.append(i == r.size() - 1 ? r.get(i) : String.format("%-" + width[i] + "s  ", r.get(i)));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    static String text(JsonNode n, String field) {
        return n != null && n.hasNonNull(field) ? n.get(field).asText() : "-";
    }

    private static String orAny(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : "any";
    }

    static String join(JsonNode array, String sep) {
        if (array == null || !array.isArray() || array.isEmpty()) {
            return "-";
        }
        List<String> parts = new ArrayList<>();
        array.forEach(e -> parts.add(e.asText()));
        return String.join(sep, parts);
    }

    /** {@code 2026-01-01T10:00:00Z} as {@code 3s ago}. */
    static String ago(String instant) {
        try {
            Duration d = Duration.between(Instant.parse(instant), Instant.now());
            long s = Math.max(0, d.toSeconds());
            return s < 120 ? s + "s ago" : s < 7200 ? s / 60 + "m ago" : s / 3600 + "h ago";
        } catch (DateTimeParseException e) {
            return instant;
        }
    }
}
