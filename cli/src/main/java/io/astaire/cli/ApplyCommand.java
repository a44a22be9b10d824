package io.astaire.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.astaire.controller.ApplyDocument;
import io.astaire.controller.ControllerClient;
import io.astaire.model.ModelException;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code astaire apply -f FILE}: make the controller hold what the file says, like {@code kubectl apply}. */
@Command(name = "apply", mixinStandardHelpOptions = true,
        header = "Create or update on the controller what a topology file declares (like kubectl apply).",
        description = {
                "Create or update on the controller the functions, chains, rules and settings (ingress, egress, "
                        + "defaultChain) that a topology file declares, in one transaction: all of it or nothing.%n",
                "Idempotent: applying the same file again reports every item 'unchanged' and changes no version. "
                        + "Items the file does not name are left alone, unless --prune. Chains without an spi keep the one "
                        + "the controller allocated.%n"},
        footer = {"%nExamples:",
                "  astaire apply -f examples/chain.yaml",
                "  astaire apply -f chain.yaml --dry-run    # show what would change",
                "  astaire apply -f chain.yaml --prune      # the file is the whole topology",
                "  cat chain.yaml | astaire apply -f - --controller http://10.0.0.5:8080",
                "%nThe controller URL defaults to $" + ControllerClient.URL_ENV + ", else " + ControllerClient.DEFAULT_URL
                        + "; the write token comes from --token or $" + ControllerClient.TOKEN_ENV + "."})
final class ApplyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE",
            description = "The topology file, YAML or JSON ('-' reads standard input).")
    String file;

    @Option(names = "--prune", description = "Also delete the functions, chains and rules the file does not name, and clear the settings it does not set.")
    boolean prune;

    @Option(names = "--dry-run", description = "Validate against the controller's state and report, but write nothing.")
    boolean dryRun;

    @Option(names = "--controller", paramLabel = "URL", description = "The controller (default: $" + ControllerClient.URL_ENV + " or " + ControllerClient.DEFAULT_URL + ").")
    String controller;

    @Option(names = "--token", paramLabel = "TOKEN", description = "The write token (default: $" + ControllerClient.TOKEN_ENV + ").")
    String token;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String text;
        try {
            text = file.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : Files.readString(Path.of(file));
        } catch (NoSuchFileException e) {
            err.println("astaire apply: " + file + ": no such file");
            return 1;
        } catch (IOException e) {
            err.println("astaire apply: " + file + ": cannot be read: " + e.getMessage());
            return 1;
        }
        String json;
        try {
            ApplyDocument.parse(text); // a bad field is reported against the file, before any request
            json = TopologyCodec.toJson(TopologyCodec.yamlMapper().readTree(text));
        } catch (ModelException e) {
            err.println("astaire apply: " + file + ": " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("astaire apply: " + file + ": is not valid YAML/JSON: " + e.getMessage());
            return 1;
        }
        try {
            ControllerClient client = ControllerClient.of(controller, token);
            JsonNode result = client.post("/api/v1/apply?prune=" + prune + "&dryRun=" + dryRun, json).json();
            Map<String, Integer> counts = new TreeMap<>();
            for (JsonNode item : result.get("items")) {
                String action = item.get("action").asText();
                counts.merge(action, 1, Integer::sum);
                out.println(item.get("kind").asText() + "/" + item.get("name").asText() + " " + action
                        + (dryRun && !action.equals("unchanged") ? " (dry run)" : ""));
            }
            StringBuilder summary = new StringBuilder();
            for (Map.Entry<String, Integer> e : counts.entrySet()) {
                summary.append(summary.isEmpty() ? "" : ", ").append(e.getValue()).append(' ').append(e.getKey());
            }
            out.println((dryRun ? "dry run, nothing written: would be version " : "applied: version ") + result.get("version").asLong()
                    + (summary.isEmpty() ? " (the file names nothing)" : " (" + summary + ")"));
            out.flush();
            return 0;
        } catch (ControllerClient.Failure e) {
            err.println("astaire apply: " + file + ": " + e.getMessage());
            return 1;
        }
    }
}
