package io.astaire.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

// Placeholder until this role lands; registered here so that each role owns its own file.
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Build a whole chain on this machine in network namespaces, send real traffic through it, show every hop live.")
final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("astaire demo: not available in this build yet");
        return 2;
    }
}
