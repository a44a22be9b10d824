package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.config.FileTopologySource;
import io.astaire.dataplane.resolve.Dnsmasq;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.transport.DatagramTransports;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A next hop whose name resolves (through a real DNS server) to two replicas, 127.0.0.2 and
 * 127.0.0.3: flows spread over both, both directions of a flow meet the same replica, and when a
 * replica's socket closes (the kernel answers ICMP port unreachable) its flows move to the other,
 * and come back once it is up again and answers the resolver's probe.
 */
class SfNodeReplicaTest {

    static final int SPI = 20;
    static final int FLOWS = 64;

    @TempDir
    Path dir;

    static byte[] forward(int i, int seed) {
        return TestPackets.udp4(ip("10.0.0.1") + i, ip("10.20.0.7"), 1000 + i, 80, 64, seed);
    }

    static byte[] reverse(int i, int seed) {
        return TestPackets.udp4(ip("10.20.0.7"), ip("10.0.0.1") + i, 80, 1000 + i, 64, seed);
    }

    /** Two sinks on one port at 127.0.0.2 and 127.0.0.3. */
    static Sink[] replicas() {
        for (int attempt = 0; attempt < 20; attempt++) {
            Sink two = new Sink("127.0.0.2", new InetSocketAddress("127.0.0.2", 0));
            try {
                Sink three = new Sink("127.0.0.3", new InetSocketAddress("127.0.0.3", two.address().getPort()));
                return new Sink[] {two, three};
            } catch (UncheckedIOException | IllegalStateException taken) {
                try {
                    two.close();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        throw new IllegalStateException("no common free port on 127.0.0.2 and 127.0.0.3");
    }

    /** seed → the sink that got it. */
    static Map<Integer, String> seen(Sink... sinks) {
        Map<Integer, String> out = new HashMap<>();
        for (Sink s : sinks) {
            for (TestPackets.Received r : s.received) {
                out.put(r.innerSeed(), r.at());
            }
        }
        return out;
    }

    /** Function {@code a} of {@code topology}, resolving names with {@code dns} (re-resolved every second, probed every 3 s). */
    static SfNode startResolvingWith(Dnsmasq dns, Path topology, int workers) {
        return SfNode.builder()
                .topology(new FileTopologySource(topology), List.of("a"))
                .workers(workers)
                .dnsServer(dns.address())
                .resolverOptions(new HopResolver.Options(Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(3)))
                .functionFactory(TestFunctions::create)
                .start();
    }

    @Test
    void flowsSpreadStickInBothDirectionsAndMoveWhenAReplicaDies() throws Exception {
        assumeTrue(DatagramTransports.nativeSupported(),
                "replica failure is detected from ICMP errors, which only the Linux transport reads");
        Sink[] sinks = replicas();
        Sink two = sinks[0];
        Sink three = sinks[1];
        int port = two.address().getPort();
        try (Dnsmasq dns = Dnsmasq.start(List.of("127.0.0.2 replicas.test", "127.0.0.3 replicas.test"), 60);
             Generator gen = new Generator()) {
            int pa = SfNodeChainTest.freePort();
            Path topo = dir.resolve("t.yaml");
            Files.writeString(topo, """
                    functions:
                      - {name: a, kind: stamp, address: "127.0.0.1:%d"}
                      - {name: r, kind: stamp, address: "replicas.test:%d"}
                    chains:
                      - {name: c, spi: %d, symmetric: false, functions: [a, r]}
                    egress: {address: "127.0.0.1:9"}
                    """.formatted(pa, port, SPI));
            try (SfNode a = startResolvingWith(dns, topo, 2)) {
                InetSocketAddress to = a.localAddress();
                for (int i = 0; i < FLOWS; i++) {
                    gen.send(to, TestPackets.nsh(SPI, 255, 63, forward(i, i)));
                    gen.send(to, TestPackets.nsh(SPI, 255, 63, reverse(i, 1000 + i)));
                }
                await().atMost(Duration.ofSeconds(15)).until(() -> two.received.size() + three.received.size() == 2 * FLOWS);
                Map<Integer, String> at = seen(two, three);
                Map<Integer, String> replicaOf = new HashMap<>();
                for (int i = 0; i < FLOWS; i++) {
                    assertThat(at.get(1000 + i)).as("flow %d: reverse direction meets the same replica", i).isEqualTo(at.get(i));
                    replicaOf.put(i, at.get(i));
                }
                assertThat(Set.copyOf(replicaOf.values())).as("flows spread over both replicas").hasSize(2);
                assertThat(two.received).allSatisfy(r -> assertThat(r.si()).isEqualTo(254));

                // 127.0.0.3 goes away: its flows move to 127.0.0.2, the others stay where they were
                List<Integer> onThree = replicaOf.entrySet().stream().filter(e -> e.getValue().equals("127.0.0.3"))
                        .map(Map.Entry::getKey).sorted().collect(Collectors.toList());
                three.close();
                int[] round = {0};
                await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    int base = 10_000 * (++round[0]);
                    for (int i : onThree) {
                        gen.send(to, TestPackets.nsh(SPI, 255, 63, forward(i, base + i)));
                    }
                    Thread.sleep(50);
                    Map<Integer, String> now = seen(two);
                    return onThree.stream().allMatch(i -> now.containsKey(base + i));
                });
                for (int i = 0; i < FLOWS; i++) {
                    gen.send(to, TestPackets.nsh(SPI, 255, 63, reverse(i, 5000 + i)));
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    Map<Integer, String> now = seen(two);
                    for (int i = 0; i < FLOWS; i++) {
                        if (!now.containsKey(5000 + i)) {
                            return false;
                        }
                    }
                    return true;
                });

                // it comes back: once it answers a probe its flows return to it
                try (Sink back = new Sink("127.0.0.3", new InetSocketAddress("127.0.0.3", port), true)) {
                    int[] again = {0};
                    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> {
                        int base = 100_000 + 10_000 * (++again[0]);
                        for (int i : onThree) {
                            gen.send(to, TestPackets.nsh(SPI, 255, 63, forward(i, base + i)));
                        }
                        Thread.sleep(50);
                        Map<Integer, String> now = seen(back);
                        return onThree.stream().allMatch(i -> now.containsKey(base + i));
                    });
                }
            }
        } finally {
            two.close();
            three.close();
        }
    }
}
