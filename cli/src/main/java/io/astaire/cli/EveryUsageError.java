package io.astaire.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Reports every mistake of a command line at once ({@code astaire apply -x} says both that
 * {@code -x} is unknown and that {@code -f} is missing), not one per try. The parser collects its
 * errors instead of stopping at the first; this strategy prints them all, then the usage of the
 * command they belong to, and exits 2 (picocli's usage-error code); a clean line runs as usual.
 */
final class EveryUsageError implements CommandLine.IExecutionStrategy {
    private final CommandLine.IExecutionStrategy delegate;

    private EveryUsageError(CommandLine.IExecutionStrategy delegate) {
        this.delegate = delegate;
    }

    /** Makes {@code root} and all its subcommands collect their errors, and report them through this strategy. */
    static CommandLine install(CommandLine root) {
        collectErrors(root);
        return root.setExecutionStrategy(new EveryUsageError(root.getExecutionStrategy()));
    }

    private static void collectErrors(CommandLine c) {
        c.getCommandSpec().parser().collectErrors(true);
        c.getSubcommands().values().forEach(EveryUsageError::collectErrors);
    }

    @Override
    public int execute(ParseResult parseResult) {
        List<Exception> errors = new ArrayList<>();
        CommandLine last = parseResult.commandSpec().commandLine();
        for (ParseResult r = parseResult; r != null; r = r.subcommand()) {
            errors.addAll(r.errors());
            last = r.commandSpec().commandLine();
        }
        if (errors.isEmpty() || helpRequested(parseResult)) {
            return delegate.execute(parseResult);
        }
        PrintWriter err = last.getErr();
        for (Exception e : errors) {
            err.println(last.getColorScheme().errorText(e.getMessage()));
            if (e instanceof CommandLine.UnmatchedArgumentException u) {
                CommandLine.UnmatchedArgumentException.printSuggestions(u, err); // "Did you mean ...?"
            }
        }
        last.usage(err, last.getColorScheme());
        err.flush();
        return last.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** {@code --help} and {@code --version} answer even on a line with mistakes, as they do without this strategy. */
    private static boolean helpRequested(ParseResult r) {
        for (; r != null; r = r.subcommand()) {
            if (r.isUsageHelpRequested() || r.isVersionHelpRequested()) {
                return true;
            }
        }
        return false;
    }
}
