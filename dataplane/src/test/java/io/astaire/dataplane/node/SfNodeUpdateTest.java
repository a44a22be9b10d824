package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.dataplane.testing.FixedTopologySource;
import io.astaire.dataplane.update.RejectionKind;
import io.astaire.dataplane.update.TopologyRejection;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Topology updates of a node as transactions, with the real built-in functions whose instances
 * hold threads and files (pcap, ratelimit): a refused update (one function of three with a bad
 * config) leaves forwarding, counters and running instances exactly as they were, leaks nothing,
 * and says why; the status report's counters can be read while updates run.
 */
@Timeout(120)
class SfNodeUpdateTest {

    private static final int SPI = 10;

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        closeables.add(c);
        return c;
    }

    /** p (pcap to {@code file}), r (ratelimit at {@code rate}), s (counter) on one node, then the egress. */
    private static String topology(int port, int egress, Path file, String rate) {
        return """
                functions:
                  - {name: p, kind: pcap, address: "127.0.0.1:%d", config: {file: "%s"}}
                  - {name: r, kind: ratelimit, address: "127.0.0.1:%d", config: {rate: %s, burst: 1000000}}
                  - {name: s, kind: counter, address: "127.0.0.1:%d"}
                chains:
                  - {name: web, spi: %d, symmetric: false, functions: [p, r, s]}
                egress: {address: "127.0.0.1:%d"}
                """.formatted(port, file, port, rate, port, SPI, egress);
    }

    private static byte[] packet(int i) {
        return TestPackets.nsh(SPI, 255, 63, TestPackets.udp4(ip("10.0.0.1") + i, ip("10.20.0.7"), 40000 + i, 80, 100, i));
    }

    private static long threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().equals(name)).count();
    }

    /** Whether this process holds {@code file} open (a file descriptor pointing at it). */
    private static boolean openHere(Path file) throws IOException {
        Path target = file.toRealPath();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(target);
                } catch (IOException gone) {
                    return false;
                }
            });
        }
    }

    @Test
    void aRefusedUpdateLeavesTheNodeAsItWasLeaksNothingAndSaysWhy() throws Exception {
        Sink sink = track(new Sink("egress", new InetSocketAddress("127.0.0.1", 0)));
        int port = SfNodeChainTest.freePort();
        int egress = sink.address().getPort();
        Path first = dir.resolve("first.pcap");
        Path second = dir.resolve("second.pcap");
        FixedTopologySource source = new FixedTopologySource(TopologyCodec.parse(topology(port, egress, first, "1000000")));
        SfNode node = track(SfNode.builder().topology(source, List.of("p", "r", "s")).workers(2)
                .metricsListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start());
        Generator gen = track(new Generator());
        for (int i = 0; i < 50; i++) {
            gen.send(node.localAddress(), packet(i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 50);
        assertThat(threadsNamed("pcap-p")).isEqualTo(1);
        Map<String, Long> before = node.counterSnapshot();

        // p gets a new file (a fresh instance: a thread and an open file), r a rate it refuses.
        source.publish(TopologyCodec.parse(topology(port, egress, second, "-5")));

        TopologyRejection rejection = node.rejection();
        assertThat(rejection).isNotNull();
        assertThat(rejection.version()).isEqualTo(2);
        assertThat(rejection.running()).isEqualTo(1);
        assertThat(rejection.kind()).isEqualTo(RejectionKind.BAD_CONFIG);
        assertThat(rejection.reason()).contains("functions.r.config.rate");
        assertThat(node.topologyVersion()).isEqualTo(1);
        // The instance made for the refused update is stopped: its thread ended, its file closed.
        await().atMost(Duration.ofSeconds(5)).until(() -> threadsNamed("pcap-p") == 1);
        assertThat(openHere(second)).as("the refused update's pcap file is closed").isFalse();
        assertThat(openHere(first)).as("the running instance still writes its file").isTrue();
        assertThat(node.counterSnapshot()).as("counters untouched").isEqualTo(before);
        String metrics = Metrics.get(node.metricsAddress(), "/metrics").body();
        assertThat(Metrics.value(metrics, "astaire_topology_rejected_total", "reason", "bad_config")).isEqualTo(1);
        assertThat(Metrics.value(metrics, "astaire_topology_rejected_version")).isEqualTo(2);
        assertThat(Metrics.value(metrics, "astaire_sf_topology_version")).isEqualTo(1);

        // Forwarding goes on through the old instances, as before.
        for (int i = 50; i < 100; i++) {
            gen.send(node.localAddress(), packet(i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 100);
        assertThat(node.counterSnapshot()).containsEntry("p.processed", 100L).containsEntry("r.processed", 100L);

        // The same refused config again is refused again (nothing of it was half-committed).
        source.publish(TopologyCodec.parse(topology(port, egress, second, "-5")));
        assertThat(node.rejection().version()).isEqualTo(3);
        assertThat(node.rejection().running()).isEqualTo(1);
        assertThat(threadsNamed("pcap-p")).isEqualTo(1);

        // Fixed: p's new file and r's new rate both take effect; the old instances are stopped.
        source.publish(TopologyCodec.parse(topology(port, egress, second, "2000000")));
        assertThat(node.topologyVersion()).isEqualTo(4);
        assertThat(node.rejection()).as("nothing refused is outstanding").isNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> threadsNamed("pcap-p") == 1);
        assertThat(openHere(first)).as("the previous instance closed its file").isFalse();
        assertThat(openHere(second)).isTrue();
        String after = Metrics.get(node.metricsAddress(), "/metrics").body();
        assertThat(Metrics.value(after, "astaire_topology_rejected_total", "reason", "bad_config")).isEqualTo(2);
        assertThat(Metrics.value(after, "astaire_topology_rejected_version")).isZero();
        for (int i = 100; i < 110; i++) {
            gen.send(node.localAddress(), packet(i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 110);
        assertThat(node.counterSnapshot()).as("counters go on across instances").containsEntry("p.processed", 110L);
    }

    @Test
    void anUnknownKindIsRefusedNamingTheVersionReallyRunning() throws Exception {
        Sink sink = track(new Sink("egress", new InetSocketAddress("127.0.0.1", 0)));
        int port = SfNodeChainTest.freePort();
        String yaml = """
                functions:
                  - {name: a, kind: %s, address: "127.0.0.1:%d"}
                chains:
                  - {name: web, spi: 10, symmetric: false, functions: [a]}
                egress: {address: "127.0.0.1:%d"}
                """;
        FixedTopologySource source = new FixedTopologySource(
                TopologyCodec.parse(yaml.formatted("counter", port, sink.address().getPort())));
        SfNode node = track(SfNode.builder().topology(source, List.of("a")).workers(1).start());
        source.publish(TopologyCodec.parse(yaml.formatted("counterr", port, sink.address().getPort())));
        source.publish(TopologyCodec.parse(yaml.formatted("counterr", port, sink.address().getPort())));
        assertThat(node.rejection().kind()).isEqualTo(RejectionKind.UNKNOWN_KIND);
        assertThat(node.rejection().version()).isEqualTo(3);
        assertThat(node.rejection().running()).as("the second refusal still names version 1").isEqualTo(1);
        assertThat(node.rejection().reason()).contains("functions.a.kind").contains("counterr");
        assertThat(node.topologyVersion()).isEqualTo(1);
    }

    @Test
    void theStatusCountersCanBeReadWhileUpdatesAddPathsAndFunctions() throws Exception {
        Sink sink = track(new Sink("egress", new InetSocketAddress("127.0.0.1", 0)));
        int port = SfNodeChainTest.freePort();
        FixedTopologySource source = new FixedTopologySource(TopologyCodec.parse(manyChains(port, sink.address().getPort(), 0)));
        SfNode node = track(SfNode.builder().topology(source, List.of("a")).workers(1)
                .functionFactory(TestFunctions::create).start());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reporter = Thread.ofPlatform().name("status-reporter").start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Map<String, Long> snapshot = node.counterSnapshot();
                    if (!snapshot.containsKey("a.processed")) {
                        throw new AssertionError("snapshot without the node's function: " + snapshot);
                    }
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
        try {
            // Every version adds 40 paths (new per-path counters) while the reporter reads.
            for (int v = 1; v <= 60 && failure.get() == null; v++) {
                source.publish(TopologyCodec.parse(manyChains(port, sink.address().getPort(), v)));
            }
        } finally {
            reporter.interrupt();
            reporter.join();
        }
        assertThat(failure.get()).as("what reading the counters threw during updates").isNull();
        assertThat(node.topologyVersion()).isEqualTo(61);
    }

    @Test
    void aFunctionThatChangesKindAndBackCountsOnInItsSeries() throws Exception {
        Sink sink = track(new Sink("egress", new InetSocketAddress("127.0.0.1", 0)));
        int port = SfNodeChainTest.freePort();
        String yaml = """
                functions:
                  - {name: a, kind: %s, address: "127.0.0.1:%d"}
                chains:
                  - {name: web, spi: 10, symmetric: false, functions: [a]}
                egress: {address: "127.0.0.1:%d"}
                """;
        FixedTopologySource source = new FixedTopologySource(TopologyCodec.parse(yaml.formatted("drop-port-9", port, sink.address().getPort())));
        SfNode node = track(SfNode.builder().topology(source, List.of("a")).workers(1)
                .metricsListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .functionFactory(TestFunctions::create).start());
        Generator gen = track(new Generator());
        byte[] toPort9 = TestPackets.nsh(SPI, 255, 63, TestPackets.udp4(ip("10.0.0.1"), ip("10.20.0.7"), 40000, 9, 100, 1));
        gen.send(node.localAddress(), toPort9);
        await().atMost(Duration.ofSeconds(10)).until(() -> node.drops(io.astaire.dataplane.counters.DropReason.FUNCTION_VERDICT) == 1);
        source.publish(TopologyCodec.parse(yaml.formatted("stamp", port, sink.address().getPort())));
        gen.send(node.localAddress(), toPort9);
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 1);
        source.publish(TopologyCodec.parse(yaml.formatted("drop-port-9", port, sink.address().getPort())));
        gen.send(node.localAddress(), toPort9);
        await().atMost(Duration.ofSeconds(10)).until(() -> node.drops(io.astaire.dataplane.counters.DropReason.FUNCTION_VERDICT) == 2);
        String m = Metrics.get(node.metricsAddress(), "/metrics").body();
        assertThat(Metrics.value(m, "astaire_sf_function_packets_total", "function", "a", "kind", "drop-port-9"))
                .as("both stints as drop-port-9 in one series").isEqualTo(2);
        assertThat(Metrics.value(m, "astaire_sf_function_packets_total", "function", "a", "kind", "stamp")).isEqualTo(1);
        assertThat(Metrics.value(m, "astaire_sf_dropped_packets_total", "reason", "function_verdict", "detail", "a")).isEqualTo(2);
    }

    /** Forty one-function chains with SPIs of their own for {@code round} (so each version brings new paths). */
    private static String manyChains(int port, int egress, int round) {
        StringBuilder yaml = new StringBuilder("""
                functions:
                  - {name: a, kind: stamp, address: "127.0.0.1:%d"}
                chains:
                """.formatted(port));
        for (int i = 0; i < 40; i++) {
            int spi = 100 + round * 40 + i;
            yaml.append("  - {name: c").append(spi).append(", spi: ").append(spi).append(", symmetric: false, functions: [a]}\n");
        }
        yaml.append("egress: {address: \"127.0.0.1:").append(egress).append("\"}\n");
        return yaml.toString();
    }
}
