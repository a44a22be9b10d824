package io.astaire.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

// Placeholder until this role lands; registered here so that each role owns its own file.
@Command(name = "sf", mixinStandardHelpOptions = true, description = "Run a service function node: receive NSH packets, apply functions, forward to the next hop.")
final class SfCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("astaire sf: not available in this build yet");
        return 2;
    }
}
