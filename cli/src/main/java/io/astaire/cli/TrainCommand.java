package io.astaire.cli;

import io.astaire.cli.train.TrainingEgress;
import io.astaire.cli.train.TrainingIngress;
import io.astaire.cli.train.TrainingTraffic;
import io.astaire.dataplane.classify.RuleTable;
import io.astaire.dataplane.config.FileTopologySource;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.model.Topology;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code astaire train}: the training run of the JDK's AOT cache. In one process and without
 * root it starts the real {@code astaire sf} command twice (fixed mode with passthrough, as the
 * benchmarks run it; topology mode with an ACL and a counter, as a chain runs it) and pushes a few
 * hundred thousand VXLAN-GPE + NSH datagrams through each, from an in-process ingress (classify,
 * encapsulate) to an in-process egress (decapsulate), then exits. Run under
 * {@code -XX:AOTCacheOutput=FILE}, the JVM stores the classes it loaded and linked and the method
 * profiles it gathered, so that a later {@code -XX:AOTCache=FILE} start skips that work and
 * compiles the packet path early. docs/start-up.md has the details.
 */
@Command(name = "train", hidden = true, mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Training run for the JVM's AOT cache (docs/start-up.md): starts service function nodes in this "
                        + "process on loopback UDP, sends VXLAN-GPE/NSH traffic through them for a few seconds, "
                        + "prints what was delivered and exits. Needs no root. ./astaire and the container image "
                        + "run it as: java --enable-native-access=ALL-UNNAMED -XX:AOTCacheOutput=astaire.aot -jar astaire.jar train%n"},
        footer = {"%nExit status: 0 when every node delivered traffic, 1 otherwise."})
final class TrainCommand implements Callable<Integer> {

    /** The chain's SPI in the training topology. */
    static final int TRAINING_SPI = 10;
    private static final int BATCH = 64;
    private static final long NODE_START_TIMEOUT_SECONDS = 20;
    /** Time left at the end of a node's share for its queue to drain into the egress. */
    private static final long DRAIN_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
    private static final long QUIET_POLL_MILLIS = 50;
    /** The least time every node gets traffic for, whatever the deadline says. */
    private static final long MIN_TRAFFIC_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long READY_POLL_MILLIS = 10;

    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", paramLabel = "N", defaultValue = "6",
            description = "How long the whole run should take, node starts included; each node gets at least 1 s "
                    + "of traffic (default: ${DEFAULT-VALUE}; 1-60).")
    int seconds;

    @Option(names = "--packets", paramLabel = "N", defaultValue = "300000",
            description = "Datagrams sent through each node, unless --seconds ends it first (default: ${DEFAULT-VALUE}).")
    long packets;

    /** What one node of the training delivered. */
    record Stage(String name, long sent, long delivered, long malformed, long unclassified, long nanos) {
        String describe() {
            return String.format(Locale.ROOT, "astaire train: %s: sent %d, delivered %d (%d malformed, %d unclassified) in %.1f s",
                    name, sent, delivered, malformed, unclassified, nanos / 1e9);
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (seconds < 1 || seconds > 60) {
            err.println("astaire train: --seconds must be within 1-60, was " + seconds);
            return 2;
        }
        if (packets < 1) {
            err.println("astaire train: --packets must be positive, was " + packets);
            return 2;
        }
        long begin = System.nanoTime();
        long deadline = begin + TimeUnit.SECONDS.toNanos(seconds);
        Path dir = Files.createTempDirectory("astaire-train");
        List<Stage> stages = new ArrayList<>();
        try (TrainingEgress egress = new TrainingEgress(BATCH)) {
            Path topologyFile = writeTopology(dir, egress.address().getPort());
            RuleTable rules;
            try (FileTopologySource source = new FileTopologySource(topologyFile)) {
                Topology topology = source.current().topology();
                rules = RuleTable.forward(topology);
            }
            String next = "127.0.0.1:" + egress.address().getPort();
            stages.add(runNode("sf fixed mode, passthrough", egress, rules, deadline, 2,
                    "--kind", "passthrough", "--listen", "127.0.0.1:0", "--next", next));
            stages.add(runNode("sf topology mode, acl + counter", egress, rules, deadline, 1,
                    "--function", "acl", "--function", "count", "--topology", topologyFile.toString(), "--listen", "127.0.0.1:0"));
        } finally {
            deleteQuietly(dir);
        }
        stages.forEach(s -> out.println(s.describe()));
        boolean allDelivered = stages.stream().allMatch(s -> s.delivered() > 0);
        out.printf(Locale.ROOT, "astaire train: %s in %.1f s%n", allDelivered ? "done" : "FAILED: a node delivered nothing",
                (System.nanoTime() - begin) / 1e9);
        out.flush();
        return allDelivered ? 0 : 1;
    }

    /**
     * Starts {@code astaire sf ARGS} in this process, sends traffic through it until {@link #packets}
     * are sent or its share of the time left (this node and {@code nodesLeft - 1} after it share
     * what remains until {@code deadline} once it is ready) is over, and stops it.
     */
    private Stage runNode(String name, TrainingEgress egress, RuleTable rules, long deadline, int nodesLeft, String... args)
            throws Exception {
        try (InProcessNode node = InProcessNode.start(args)) {
            long delivered0 = egress.delivered();
            long malformed0 = egress.malformed();
            long start = System.nanoTime();
            // A slow start (a loaded machine) may have used up the share: every node still gets some traffic.
            long stopSending = Math.max(start + (deadline - start) / nodesLeft - DRAIN_NANOS, start + MIN_TRAFFIC_NANOS);
            long sent = 0;
            try (TrainingIngress ingress = new TrainingIngress(rules, BATCH)) {
                Endpoint to = Endpoint.of(node.sf.node.localAddress());
                while (sent < packets && System.nanoTime() - stopSending < 0) {
                    sent += ingress.sendBatch(to);
                }
                awaitQuiet(egress);
                node.sf.node.scrape(); // the /metrics text, as Prometheus asks for it
                return new Stage(name, sent, egress.delivered() - delivered0, egress.malformed() - malformed0,
                        ingress.unclassified(), System.nanoTime() - start);
            }
        }
    }

    /** {@code astaire sf ...} run by its own picocli command object on a thread of this process, as the tests run it. */
    private record InProcessNode(SfCommand sf, CompletableFuture<Integer> exit) implements AutoCloseable {

        static InProcessNode start(String... args) throws InterruptedException {
            CommandLine cli = AstaireCommand.commandLine();
            StringWriter output = new StringWriter();
            cli.setOut(new PrintWriter(output));
            cli.setErr(new PrintWriter(output));
            SfCommand sf = cli.getSubcommands().get("sf").getCommand();
            List<String> command = new ArrayList<>(List.of("sf", "--workers", "1", "--metrics-listen", "127.0.0.1:0"));
            command.addAll(List.of(args));
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute(command.toArray(String[]::new)),
                    runnable -> Thread.ofPlatform().name("astaire-train-sf").start(runnable));
            InProcessNode node = new InProcessNode(sf, exit);
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(NODE_START_TIMEOUT_SECONDS);
            while (!node.isReady() && !exit.isDone() && System.nanoTime() - giveUp < 0) {
                Thread.sleep(READY_POLL_MILLIS);
            }
            if (!node.isReady()) {
                node.close();
                throw new IllegalStateException("astaire " + String.join(" ", command) + " did not start: " + output);
            }
            return node;
        }

        boolean isReady() {
            return sf.node != null && sf.node.isReady();
        }

        @Override
        public void close() {
            sf.stop.countDown();
            try {
                exit.get(NODE_START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("astaire sf did not stop: " + e.getMessage(), e);
            }
        }
    }

    /** Waits (at most {@link #DRAIN_NANOS}) until the egress sees nothing new: the node's queue has drained. */
    private static void awaitQuiet(TrainingEgress egress) throws InterruptedException {
        long seen = -1;
        long end = System.nanoTime() + DRAIN_NANOS;
        while (egress.delivered() != seen && System.nanoTime() - end < 0) {
            seen = egress.delivered();
            Thread.sleep(QUIET_POLL_MILLIS);
        }
    }

    /**
     * A one-chain topology whose two functions this process runs: the ACL denies TCP to
     * {@link TrainingTraffic#DENIED_PORT} (so the drop path is trained too), every packet of the
     * mix matches a rule, and the egress is the training egress.
     */
    private static Path writeTopology(Path dir, int egressPort) {
        String yaml = """
                functions:
                  - name: acl
                    kind: acl
                    address: 127.0.0.1:4791
                    config:
                      default: allow
                      rules:
                        - {name: no-telnet, action: deny, protocol: tcp, destinationPorts: %d}
                  - name: count
                    kind: counter
                    address: 127.0.0.1:4791
                chains:
                  - {name: train, spi: %d, symmetric: true, functions: [acl, count]}
                rules:
                  - {name: tcp, priority: 100, protocol: tcp, destination: 10.20.0.0/16, destinationPorts: 1-65535, chain: train}
                  - {name: udp, priority: 90, protocol: udp, chain: train}
                  - {name: icmp, priority: 50, protocol: icmp, chain: train}
                ingress: {address: 127.0.0.1:4790}
                egress: {address: 127.0.0.1:%d}
                """.formatted(TrainingTraffic.DENIED_PORT, TRAINING_SPI, egressPort);
        try {
            return Files.writeString(dir.resolve("train.yaml"), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a file left in the temp folder is harmless
        }
    }
}
