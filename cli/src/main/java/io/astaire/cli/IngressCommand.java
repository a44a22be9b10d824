package io.astaire.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

// Placeholder until this role lands; registered here so that each role owns its own file.
@Command(name = "ingress", mixinStandardHelpOptions = true, description = "Run the head of the chains: read a TUN device, classify, encapsulate, send to the first function.")
final class IngressCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("astaire ingress: not available in this build yet");
        return 2;
    }
}
