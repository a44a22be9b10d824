package io.astaire.cli.lab;

import java.util.ArrayList;
import java.util.List;

/** A network namespace of a {@link Lab}: run commands inside it. */
public final class LabNamespace {
    private final String name;
    private final String role;

    LabNamespace(String name, String role) {
        this.name = name;
        this.role = role;
    }

    /** The namespace's name as {@code ip netns} knows it (unique per lab). */
    public String name() {
        return name;
    }

    /** The short role it plays (client, ingress, sf1, ...). */
    public String role() {
        return role;
    }

    /** Runs {@code command} inside the namespace (30 s bound); fails with its output on a non-zero exit. */
    public String exec(String... command) {
        return Shell.run(30, wrap(List.of(command))).requireOk().output();
    }

    /** Runs {@code command} inside the namespace within {@code timeoutSeconds}, whatever its exit code. */
    public Result execResult(long timeoutSeconds, String... command) {
        Shell.Result r = Shell.run(timeoutSeconds, wrap(List.of(command)));
        return new Result(r.exit(), r.output());
    }

    /** What a command did: exit code (-1 if it timed out) and output. */
    public record Result(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

    /** The command line that runs {@code command} inside this namespace. */
    public List<String> wrap(List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        return full;
    }

    /** Sets a sysctl inside the namespace. */
    public void sysctl(String key, String value) {
        exec("sysctl", "-q", "-w", key + "=" + value);
    }

    @Override
    public String toString() {
        return name;
    }
}
