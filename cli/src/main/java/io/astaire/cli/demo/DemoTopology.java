package io.astaire.cli.demo;

import io.astaire.cli.lab.ChainLab;
import io.astaire.model.ChainSpec;
import java.util.List;

/**
 * The chain the demo applies to its controller: three functions, one per function namespace,
 * and rules that steer ICMP and TCP from the client network to the server network into it.
 */
public final class DemoTopology {
    public static final String CHAIN = "demo";
    public static final int SPI = 10;
    public static final int REVERSE_SPI = ChainSpec.reverseSpi(SPI);
    /** TCP port the acl denies: the demo knocks on it now and then so the acl's drops show. */
    public static final int DENIED_PORT = 8023;
    public static final int HTTP_PORT = 8000;
    /** The controller's address on the underlay bridge (its own namespace). */
    public static final String CONTROLLER_ADDRESS = "10.99.0.100";
    public static final int CONTROLLER_PORT = 8080;
    public static final int METRICS_PORT = 9090;

    /** A function of the chain: its name, kind and the lab role (namespace) it runs in. */
    public record Function(String name, String kind, String role) {}

    public static final List<Function> FUNCTIONS = List.of(
            new Function("acl", "acl", "sf1"),
            new Function("count", "counter", "sf2"),
            new Function("pass", "passthrough", "sf3"));

    private DemoTopology() {}

    public static String controllerUrl() {
        return "http://" + CONTROLLER_ADDRESS + ":" + CONTROLLER_PORT;
    }

    /** The topology document {@code astaire apply -f} sends to the controller. */
    public static String yaml() {
        return """
                # Applied by 'astaire demo' to its controller: client traffic to the server network
                # goes ingress -> acl (sf1) -> count (sf2) -> pass (sf3) -> egress, replies come back.
                """ + ChainLab.standardFunctions(DENIED_PORT, ChainLab.underlayAddress("sf1"), ChainLab.underlayAddress("sf2"),
                ChainLab.underlayAddress("sf3")) + """
                chains:
                  - {name: %s, spi: %d, symmetric: true, functions: [acl, count, pass]}
                rules:
                  - {name: tcp-to-servers, priority: 100, protocol: tcp, destination: %s, chain: %s}
                  - {name: icmp-to-servers, priority: 50, protocol: icmp, destination: %s, chain: %s}
                ingress: {address: %s:4790}
                egress: {address: %s:4790}
                """.formatted(CHAIN, SPI, ChainLab.SERVER_NET, CHAIN, ChainLab.SERVER_NET, CHAIN,
                ChainLab.UNDERLAY_INGRESS, ChainLab.UNDERLAY_EGRESS);
    }
}
