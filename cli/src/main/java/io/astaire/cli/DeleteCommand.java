package io.astaire.cli;

import io.astaire.controller.ControllerClient;
import io.astaire.controller.Kind;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code astaire delete chain|function|rule NAME}. */
@Command(name = "delete", mixinStandardHelpOptions = true,
        header = "Delete a chain, function or rule from the controller.",
        description = {"Delete a chain, function or rule from the controller. Nodes drop it at their next update.%n",
                "The controller refuses (409) to delete a function a chain uses, or a chain a rule or the default "
                        + "chain uses: delete or change those first.%n"},
        footer = {"%nExamples:",
                "  astaire delete rule to-servers",
                "  astaire delete chain web",
                "  astaire delete function acl --controller http://10.0.0.5:8080 --token $TOKEN"})
final class DeleteCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KIND", description = "chain, function or rule")
    String kind;

    @Parameters(index = "1", paramLabel = "NAME", description = "The item's name.")
    String name;

    @Option(names = "--controller", paramLabel = "URL", description = "The controller (default: $" + ControllerClient.URL_ENV + " or " + ControllerClient.DEFAULT_URL + ").")
    String controller;

    @Option(names = "--token", paramLabel = "TOKEN", description = "The write token (default: $" + ControllerClient.TOKEN_ENV + ").")
    String token;

    @Override
    public Integer call() {
        Kind k;
        try {
            k = Kind.parse(kind);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("astaire delete: " + e.getMessage().replace(", settings", "") + " (for example: astaire delete chain web)");
            return 2;
        }
        if (k == Kind.SETTINGS) {
            spec.commandLine().getErr().println("astaire delete: the settings cannot be deleted; change them with astaire apply");
            return 2;
        }
        try {
            ControllerClient.of(controller, token).delete("/api/v1/" + k.plural() + "/" + URLEncoder.encode(name, StandardCharsets.UTF_8));
            spec.commandLine().getOut().println(k.singular() + "/" + name + " deleted");
            spec.commandLine().getOut().flush();
            return 0;
        } catch (ControllerClient.Failure e) {
            spec.commandLine().getErr().println("astaire delete: " + e.getMessage());
            return 1;
        }
    }
}
