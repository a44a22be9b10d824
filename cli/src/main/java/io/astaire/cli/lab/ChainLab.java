package io.astaire.cli.lab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The standard lab topology for the end-to-end tests and the demo:
 *
 * <pre>
 *  client ──veth── ingress ═╗                          ╔═ egress ──veth── server
 *  10.1.0.2   10.1.0.1 [TUN]║    fabric: bridge br0     ║[TUN] 10.2.0.1   10.2.0.2
 *                  10.99.0.1╠══ sf1 .11 ══ sf2 .12 ══ ...╣10.99.0.2
 * </pre>
 *
 * The client's route to the server network goes to the ingress namespace, which routes it into
 * the ingress's TUN device ({@link #routeIntoTunnels}); the ingress, the function nodes and the
 * egress reach each other over the underlay 10.99.0.0/24 (one bridge in a {@code fabric}
 * namespace); the egress writes packets to its TUN and its namespace routes them to the server;
 * the server's replies come back to the egress namespace, whose route to the client network is
 * the egress's TUN. IPv6 runs beside IPv4 on the client and server links (fd00:1::/64,
 * fd00:2::/64). {@link #addPlainPath()} adds a separate routed path (client, router, server
 * without any chain) to compare throughput with.
 */
public final class ChainLab implements AutoCloseable {
    public static final String CLIENT_NET = "10.1.0.0/24";
    public static final String SERVER_NET = "10.2.0.0/24";
    public static final String CLIENT_NET6 = "fd00:1::/64";
    public static final String SERVER_NET6 = "fd00:2::/64";
    public static final String CLIENT = "10.1.0.2";
    public static final String SERVER = "10.2.0.2";
    public static final String CLIENT6 = "fd00:1::2";
    public static final String SERVER6 = "fd00:2::2";
    public static final String UNDERLAY_INGRESS = "10.99.0.1";
    public static final String UNDERLAY_EGRESS = "10.99.0.2";
    public static final String PLAIN_CLIENT = "10.3.0.2";
    public static final String PLAIN_SERVER = "10.4.0.2";
    /** UDP to this port of the server network takes the one-way chain of {@link #standardTopology}. */
    public static final int ONE_WAY_UDP_PORT = 5556;

    private final Lab lab;
    private final List<String> astaire;
    private final Map<String, LabNamespace> byRole = new LinkedHashMap<>();
    private final int functionNodes;

    private ChainLab(Lab lab, List<String> astaire, int functionNodes) {
        this.lab = lab;
        this.astaire = List.copyOf(astaire);
        this.functionNodes = functionNodes;
    }

    /**
     * Builds the namespaces and links, with {@code functionNodes} function namespaces sf1..sfN.
     *
     * @param astaire the command that runs astaire, e.g. {@code java -jar astaire.jar}
     */
    public static ChainLab build(Lab lab, List<String> astaire, int functionNodes) {
        if (functionNodes < 1 || functionNodes > 50) {
            throw new IllegalArgumentException("function nodes must be 1-50, was " + functionNodes);
        }
        ChainLab c = new ChainLab(lab, astaire, functionNodes);
        try {
            c.buildTopology();
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
        return c;
    }

    private void buildTopology() {
        LabNamespace fabric = add("fabric");
        fabric.exec("ip", "link", "add", "br0", "type", "bridge");
        fabric.exec("ip", "link", "set", "br0", "up");
        LabNamespace client = add("client");
        LabNamespace ingress = add("ingress");
        List<String> underlay = new ArrayList<>(List.of("ingress"));
        for (int i = 1; i <= functionNodes; i++) {
            add("sf" + i);
            underlay.add("sf" + i);
        }
        LabNamespace egress = add("egress");
        underlay.add("egress");
        LabNamespace server = add("server");

        for (String role : underlay) {
            LabNamespace ns = ns(role);
            lab.veth(ns, "u0", fabric, role);
            fabric.exec("ip", "link", "set", role, "master", "br0");
            lab.address(ns, "u0", underlayAddress(role) + "/24");
        }
        lab.veth(client, "c0", ingress, "c1");
        lab.address(client, "c0", CLIENT + "/24");
        lab.address(ingress, "c1", "10.1.0.1/24");
        lab.address(client, "c0", CLIENT6 + "/64");
        lab.address(ingress, "c1", "fd00:1::1/64");
        lab.route(client, "default", "via", "10.1.0.1");
        lab.route(client, "default", "via", "fd00:1::1");

        lab.veth(server, "s0", egress, "s1");
        lab.address(server, "s0", SERVER + "/24");
        lab.address(egress, "s1", "10.2.0.1/24");
        lab.address(server, "s0", SERVER6 + "/64");
        lab.address(egress, "s1", "fd00:2::1/64");
        lab.route(server, "default", "via", "10.2.0.1");
        lab.route(server, "default", "via", "fd00:2::1");
        lab.router(ingress);
        lab.router(egress);
    }

    private LabNamespace add(String role) {
        LabNamespace ns = lab.namespace(role);
        byRole.put(role, ns);
        return ns;
    }

    /** The underlay address of {@code role}: ingress .1, egress .2, sfN .(10+N). */
    public static String underlayAddress(String role) {
        return switch (role) {
            case "ingress" -> UNDERLAY_INGRESS;
            case "egress" -> UNDERLAY_EGRESS;
            default -> {
                if (!role.matches("sf\\d+")) {
                    throw new IllegalArgumentException("no underlay address for " + role);
                }
                yield "10.99.0." + (10 + Integer.parseInt(role.substring(2)));
            }
        };
    }

    /**
     * The topology the end-to-end suite and the demo run on this lab: functions acl (sf1, denies TCP
     * to {@code deniedTcpPort}), count (sf2, a counter) and pass (sf3, passthrough); one symmetric
     * chain {@code web} with SPI {@code spi} for TCP and ICMP (v4 and v6) to the server networks; a
     * one-way chain {@code oneway} (SPI {@code spi + 1}, the counter alone) for UDP to port
     * {@link #ONE_WAY_UDP_PORT}, whose replies are not classified at the egress; no rule for anything
     * else and no default chain, so unmatched traffic is dropped and counted.
     */
    public static String standardTopology(int spi, int deniedTcpPort) {
        return "# acl (sf1) -> count (sf2) -> pass (sf3), written by ChainLab.standardTopology.\n"
                + standardFunctions(deniedTcpPort, underlayAddress("sf1"), underlayAddress("sf2"), underlayAddress("sf3")) + """
                chains:
                  - {name: web, spi: %d, symmetric: true, functions: [acl, count, pass]}
                  - {name: oneway, spi: %d, symmetric: false, functions: [count]}
                rules:
                  - {name: udp-oneway, priority: 100, protocol: udp, destination: %s, destinationPorts: %d, chain: oneway}
                  - {name: tcp-to-servers, priority: 100, protocol: tcp, destination: %s, chain: web}
                  - {name: tcp6-to-servers, priority: 100, protocol: tcp, destination: "%s", chain: web}
                  - {name: icmp, priority: 50, protocol: icmp, destination: %s, chain: web}
                  - {name: icmp6, priority: 50, protocol: icmpv6, destination: "%s", chain: web}
                ingress: {address: %s:4790}
                egress: {address: %s:4790}
                # No other rule for UDP and no default chain: unmatched traffic is dropped and counted.
                """.formatted(spi, spi + 1, SERVER_NET, ONE_WAY_UDP_PORT, SERVER_NET, SERVER_NET6, SERVER_NET, SERVER_NET6, UNDERLAY_INGRESS, UNDERLAY_EGRESS);
    }

    /**
     * The {@code functions:} section of {@link #standardTopology}: acl (denies TCP to
     * {@code deniedTcpPort}, rule {@code no-<port>}), count (a counter) and pass (passthrough), at
     * port 4790 of the given hosts.
     */
    public static String standardFunctions(int deniedTcpPort, String acl, String count, String pass) {
        return """
                functions:
                  - name: acl
                    kind: acl
                    address: %s:4790
                    config:
                      default: allow
                      rules:
                        - {name: no-%d, action: deny, protocol: tcp, destinationPorts: %d}
                  - {name: count, kind: counter, address: %s:4790}
                  - {name: pass, kind: passthrough, address: %s:4790}
                """.formatted(acl, deniedTcpPort, deniedTcpPort, count, pass);
    }

    /** The namespace playing {@code role} (client, ingress, sf1..sfN, egress, server, fabric, ...). */
    public LabNamespace ns(String role) {
        LabNamespace ns = byRole.get(role);
        if (ns == null) {
            throw new IllegalArgumentException("no namespace " + role + " in this lab (have " + byRole.keySet() + ")");
        }
        return ns;
    }

    public Lab lab() {
        return lab;
    }

    public int functionNodes() {
        return functionNodes;
    }

    /** Starts {@code astaire <args>} inside the namespace of {@code role}; its log is {@code <name>.log}. */
    public LabProcess startAstaire(String name, String role, String... args) {
        List<String> cmd = new ArrayList<>(astaire);
        cmd.addAll(List.of(args));
        return lab.start(name, ns(role), cmd);
    }

    /**
     * Waits until {@code process} answers 200 on {@code /readyz} at {@code 127.0.0.1:port} inside its
     * namespace; fails with the process's output if it exits or the time runs out.
     */
    public void awaitReady(LabProcess process, int port, long timeoutSeconds) {
        process.awaitReady(port, timeoutSeconds);
    }

    /**
     * Waits until interface {@code dev} exists and is up in the namespace of {@code role} (a TUN
     * device appears when the ingress or egress opens it).
     */
    public void awaitInterface(String role, String dev, long timeoutSeconds) {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            LabNamespace.Result r = ns(role).execResult(5, "ip", "-o", "link", "show", "dev", dev);
            if (r.ok() && r.output().contains(",UP")) {
                return;
            }
            sleep(100);
        }
        throw new LabException(dev + " did not come up in " + role + " within " + timeoutSeconds + " s");
    }

    /**
     * The routes that steer traffic through the chain: in the ingress namespace the server
     * networks go into {@code ingressTun}; in the egress namespace the client networks go into
     * {@code egressTun} (the path replies take). Call once both devices exist.
     */
    public void routeIntoTunnels(String ingressTun, String egressTun) {
        lab.route(ns("ingress"), SERVER_NET, "dev", ingressTun);
        lab.route(ns("ingress"), SERVER_NET6, "dev", ingressTun);
        lab.route(ns("egress"), CLIENT_NET, "dev", egressTun);
        lab.route(ns("egress"), CLIENT_NET6, "dev", egressTun);
    }

    /**
     * A path without any chain for comparison: {@code pclient} 10.3.0.2 — {@code prouter} —
     * {@code pserver} 10.4.0.2, plain veths and kernel forwarding.
     */
    public void addPlainPath() {
        try {
            buildPlainPath();
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    private void buildPlainPath() {
        LabNamespace c = add("pclient");
        LabNamespace r = add("prouter");
        LabNamespace s = add("pserver");
        lab.veth(c, "p0", r, "p1");
        lab.veth(s, "q0", r, "q1");
        lab.address(c, "p0", PLAIN_CLIENT + "/24");
        lab.address(r, "p1", "10.3.0.1/24");
        lab.address(s, "q0", PLAIN_SERVER + "/24");
        lab.address(r, "q1", "10.4.0.1/24");
        lab.route(c, "default", "via", "10.3.0.1");
        lab.route(s, "default", "via", "10.4.0.1");
        lab.router(r);
    }

    /** Stops the processes and deletes the namespaces (the lab's close). */
    @Override
    public void close() {
        lab.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted");
        }
    }
}
