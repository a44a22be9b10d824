package io.astaire.cli;

import io.astaire.dataplane.classify.ClassifierLimit;
import io.astaire.dataplane.edge.EdgeConfig;
import io.astaire.dataplane.edge.EdgeLauncher;
import io.astaire.dataplane.edge.EdgeRole;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.dataplane.transport.TransportOptions.Offload;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.tun.TunDevice;
import io.astaire.dataplane.tun.TunException;
import io.astaire.model.HopAddress;
import io.astaire.model.IpPrefix;
import io.astaire.model.ModelException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code astaire ingress}: the head of the chains. */
@Command(name = "ingress", mixinStandardHelpOptions = true,
        description = {"Run the head of the chains: read a TUN device, classify, encapsulate, send to the first function.",
                "Route the traffic to steer into the TUN device (ip route add SERVER_NET dev TUN); replies of "
                        + "symmetric chains arrive on --listen and leave through the TUN device to the client."})
final class IngressCommand implements Callable<Integer> {

    @Mixin
    EdgeOptions options;

    @Override
    public Integer call() {
        return options.run(EdgeRole.INGRESS);
    }

    /** The flags ingress and egress share, and starting either. */
    static final class EdgeOptions {
        static final class Source {
            @Option(names = "--topology", paramLabel = "FILE", description = "the chain topology (YAML or JSON); re-read when it changes")
            Path topology;

            @Option(names = "--controller", paramLabel = "URL", description = "the controller to watch for the topology, e.g. http://controller:8080")
            URI controller;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Mixin
        NodeTokenOption nodeToken;

        @Option(names = "--tun", required = true, paramLabel = "NAME",
                description = "TUN device to create (or attach to, if it exists), at most 15 characters")
        String tun;

        @Option(names = "--listen", paramLabel = "HOST:PORT",
                description = "where paths ending here arrive (default: this edge's address in the topology when it is one of "
                        + "this host's; every interface of its family when it is a name or another host's)")
        String listen;

        @Option(names = "--underlay-mtu", paramLabel = "N",
                description = "MTU of the network between nodes (default: the MTU of the interface routing to the first hop); "
                        + "the TUN MTU is this minus 60 bytes of encapsulation (80 over IPv6)")
        Integer underlayMtu;

        @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9090",
                description = "serve /metrics, /healthz, /readyz here (default ${DEFAULT-VALUE}, this host only; "
                        + "0.0.0.0:9090 for a scraper or probe on another host)")
        String metricsListen;

        @Option(names = "--workers", paramLabel = "N", defaultValue = "1",
                description = "TUN queues and receiving sockets, one thread each way per worker (default ${DEFAULT-VALUE}); "
                        + "more than one opens the TUN device multi-queue")
        int workers;

        @Option(names = "--tun-address", paramLabel = "CIDR",
                description = "address to give the TUN device, e.g. 10.1.0.1/32 (repeatable; optional: routes alone steer traffic)")
        List<String> tunAddresses = new ArrayList<>();

        @Option(names = "--route", paramLabel = "CIDR",
                description = {"prefix to route into the TUN device (repeatable): the edge adds 'CIDR dev TUN' at start, puts it back "
                        + "within a second if someone removes it (logged, counted in astaire_edge_routes_restored_total), and keeps "
                        + "an 'unreachable CIDR' route behind it that stays when the edge stops, so steered traffic fails closed "
                        + "while it is down. Ingress: the chains' destination prefixes; egress: the clients' (reply) prefixes. "
                        + "Needs CAP_NET_ADMIN."})
        List<String> routes = new ArrayList<>();

        @Option(names = "--flow-cache", paramLabel = "N", defaultValue = "65536",
                description = "classifier flow-cache entries per worker (default ${DEFAULT-VALUE})")
        int flowCache;

        @Option(names = "--max-classifier-memory", paramLabel = "SIZE", defaultValue = "64MiB",
                description = "The most memory the classifier may take (rules and index, about 200 bytes a rule): a larger "
                        + "rule set is refused, at start (the edge does not start) or on an update (the edge keeps its "
                        + "rules, counts astaire_topology_rejected_total{reason=classifier_too_large}) (default: ${DEFAULT-VALUE}).")
        String maxClassifierMemory;

        @Option(names = "--batch", paramLabel = "N", defaultValue = "64",
                description = "datagrams per system call (default ${DEFAULT-VALUE})")
        int batch;

        @Option(names = "--name", paramLabel = "NAME",
                description = "with --controller: this edge's name in the controller's node list (default: <role>@<host name>)")
        String name;

        @Option(names = "--report-interval", paramLabel = "DURATION", defaultValue = "2s",
                description = "with --controller: how often the edge reports its status and counters (default: ${DEFAULT-VALUE})")
        String reportInterval;

        @Option(names = "--transport", paramLabel = "KIND", defaultValue = "auto",
                description = "UDP transport: auto, native (recvmmsg/sendmmsg) or nio (default ${DEFAULT-VALUE})")
        String transport;

        @Option(names = "--offload", paramLabel = "auto|off", defaultValue = "${env:ASTAIRE_OFFLOAD:-auto}",
                description = "Segmentation offloads: auto = the TUN device with a virtio_net_hdr and the TSO/USO/checksum "
                        + "offloads the kernel has (TCP crosses the TUN as 64 KB super-packets, cut into ordinary NSH packets "
                        + "and glued back at the other edge), and UDP GSO/GRO on the sockets; off = one bare packet per "
                        + "system call (default ${DEFAULT-VALUE}; the environment variable ASTAIRE_OFFLOAD sets the default)")
        String offload;

        @Option(names = "--source-ports", paramLabel = "N", defaultValue = "" + TransportOptions.DEFAULT_SOURCE_PORTS,
                description = "UDP source ports each worker sends from (1-" + TransportOptions.MAX_SOURCE_PORTS + "): each flow "
                        + "always leaves from one of them, so the first hop's workers and ECMP spread flows (RFC 7348); "
                        + "1 sends from one port (default ${DEFAULT-VALUE})")
        int sourcePorts;

        @Option(names = "--drain", paramLabel = "DURATION", defaultValue = "30s",
                description = "After a change, how long the edge keeps delivering packets sent on a path's previous version "
                        + "(make-before-break; 0s keeps none) (default: ${DEFAULT-VALUE}).")
        String drain;

        int run(EdgeRole role) {
            String command = "astaire " + role.label();
            EdgeConfig config;
            InetSocketAddress metrics;
            String credential;
            Duration interval;
            Duration drainTime;
            try {
                drainTime = SfCommand.duration("--drain", drain);
                interval = SfCommand.duration("--report-interval", reportInterval);
                if (interval.isZero() || interval.isNegative()) {
                    throw new IllegalArgumentException("--report-interval must be positive");
                }
                List<TunDevice.InterfaceAddress> addresses = new ArrayList<>();
                for (String a : tunAddresses) {
                    IpPrefix p = IpPrefix.parse(a);
                    addresses.add(new TunDevice.InterfaceAddress(InetAddress.getByAddress(p.address()), p.length()));
                }
                List<IpPrefix> owned = prefixes("--route", routes);
                config = new EdgeConfig(role, tun, listen == null ? null : socketAddress("--listen", listen), underlayMtu,
                        workers, addresses, flowCache, batch, DatagramTransports.Kind.parse(transport), Offload.parse(offload), sourcePorts,
                        ClassifierLimit.parse(maxClassifierMemory), owned);
                metrics = socketAddress("--metrics-listen", metricsListen);
                credential = source.controller != null ? nodeToken.credentialFor(name) : null;
            } catch (IllegalArgumentException | UnknownHostException e) {
                System.err.println(command + ": " + e.getMessage());
                return 2;
            }
            try {
                EdgeLauncher launcher = EdgeLauncher.start(config,
                        EdgeLauncher.topologySource(source.topology, source.controller), metrics, name, interval, drainTime, credential);
                launcher.runUntilShutdown();
                return 0;
            } catch (ModelException e) {
                System.err.println(command + ": the topology is not usable: " + e.getMessage());
                return 2;
            } catch (TunException e) {
                System.err.println(command + ": " + e.getMessage());
                return 3;
            } catch (RuntimeException e) {
                System.err.println(command + ": cannot start: " + e.getMessage());
                return 1;
            }
        }

        /** Each of {@code texts} as a prefix; the first bad one fails naming {@code flag}. */
        static List<IpPrefix> prefixes(String flag, List<String> texts) {
            List<IpPrefix> out = new ArrayList<>();
            for (String t : texts) {
                try {
                    out.add(IpPrefix.parse(t));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(flag + " " + t + ": " + e.getMessage());
                }
            }
            return out;
        }

        private static InetSocketAddress socketAddress(String flag, String text) {
            try {
                HopAddress a = HopAddress.parse(text);
                return new InetSocketAddress(InetAddress.getByName(a.host()), a.port());
            } catch (IllegalArgumentException | UnknownHostException e) {
                throw new IllegalArgumentException(flag + " " + text + ": " + e.getMessage());
            }
        }
    }
}
