package io.astaire.cli;

import io.astaire.dataplane.ops.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code astaire} command. Each role of the system (controller, ingress, service function
 * node, egress) is a subcommand of this one entry point, so one jar and one container image
 * serve every pod of a chain.
 */
@Command(
        name = "astaire",
        mixinStandardHelpOptions = true,
        versionProvider = AstaireCommand.Version.class,
        description = {
                "Service function chaining over standard NSH in VXLAN-GPE (UDP 4790).%n",
                "Traffic enters a TUN device at the ingress, is classified to a chain, travels the chain's "
                        + "service functions as NSH packets, and leaves at the egress for its original receiver; "
                        + "replies travel the chain backwards.%n",
        },
        subcommands = {
                ControllerCommand.class,
                IngressCommand.class,
                SfCommand.class,
                EgressCommand.class,
                DemoCommand.class,
                K8sCommand.class,
                ApplyCommand.class,
                GetCommand.class,
                DeleteCommand.class,
                DescribeCommand.class,
                TraceCommand.class,
                TrainCommand.class,
                CommandLine.HelpCommand.class})
public final class AstaireCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static CommandLine commandLine() {
        return EveryUsageError.install(new CommandLine(new AstaireCommand())
                .setCaseInsensitiveEnumValuesAllowed(true));
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"astaire " + BuildInfo.version(),
                    "Java " + BuildInfo.javaVersion() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
