package io.astaire.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

// Placeholder until this role lands; registered here so that each role owns its own file.
@Command(name = "k8s", mixinStandardHelpOptions = true, description = "Kubernetes: render the manifests for a chain.")
final class K8sCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("astaire k8s: not available in this build yet");
        return 2;
    }
}
