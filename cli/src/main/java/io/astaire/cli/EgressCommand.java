package io.astaire.cli;

import io.astaire.dataplane.edge.EdgeRole;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code astaire egress}: the tail of the chains. */
@Command(name = "egress", mixinStandardHelpOptions = true,
        description = {"Run the tail of the chains: decapsulate and deliver to the receiver through a TUN device; send replies back.",
                "Forward paths arrive on --listen and leave through the TUN device with their original addresses; route the "
                        + "clients' networks into the TUN device (ip route add CLIENT_NET dev TUN) so that replies are "
                        + "classified with the reversed rules of symmetric chains and travel back."})
final class EgressCommand implements Callable<Integer> {

    @Mixin
    IngressCommand.EdgeOptions options;

    @Override
    public Integer call() {
        return options.run(EdgeRole.EGRESS);
    }
}
