package io.astaire.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

// Placeholder until this role lands; registered here so that each role owns its own file.
@Command(name = "egress", mixinStandardHelpOptions = true, description = "Run the tail of the chains: decapsulate and deliver to the receiver through a TUN device; send replies back.")
final class EgressCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("astaire egress: not available in this build yet");
        return 2;
    }
}
