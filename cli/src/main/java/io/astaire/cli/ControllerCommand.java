package io.astaire.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

// Placeholder until this role lands; registered here so that each role owns its own file.
@Command(name = "controller", mixinStandardHelpOptions = true, description = "Run the controller: the registry of functions, chains and classifier rules (REST API, SQLite).")
final class ControllerCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("astaire controller: not available in this build yet");
        return 2;
    }
}
