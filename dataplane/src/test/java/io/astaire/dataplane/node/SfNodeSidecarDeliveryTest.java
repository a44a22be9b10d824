package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.dataplane.resolve.Dnsmasq;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sidecar edges: the egress's name resolves (through a real DNS server) to two pods, 127.0.0.2 and
 * 127.0.0.3, each with its own egress. The last function sends every packet to the egress of the
 * pod the inner packet is addressed to, whatever the flow hash would pick; a packet for neither
 * still goes by the flow hash (gateway egresses behind one name).
 */
class SfNodeSidecarDeliveryTest {
    static final int SPI = 30;
    static final int FLOWS = 40;

    @TempDir
    Path dir;

    @Test
    void theLastHopIsTheEgressOfThePodThePacketIsFor() throws Exception {
        Sink[] sinks = SfNodeReplicaTest.replicas();
        Sink two = sinks[0];
        Sink three = sinks[1];
        int port = two.address().getPort();
        try (Dnsmasq dns = Dnsmasq.start(List.of("127.0.0.2 pods.test", "127.0.0.3 pods.test"), 60);
             Generator gen = new Generator()) {
            int pa = SfNodeChainTest.freePort();
            Path topo = dir.resolve("t.yaml");
            Files.writeString(topo, """
                    functions:
                      - {name: a, kind: stamp, address: "127.0.0.1:%d"}
                    chains:
                      - {name: c, spi: %d, symmetric: false, functions: [a]}
                    egress: {address: "pods.test:%d"}
                    """.formatted(pa, SPI, port));
            try (SfNode a = SfNodeReplicaTest.startResolvingWith(dns, topo, 1)) {
                for (int i = 0; i < FLOWS; i++) {
                    // Many flows (sources and ports) to each pod: a flow hash would spread them over both.
                    gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 63, TestPackets.udp4(ip("10.0.0.1") + i, ip("127.0.0.2"), 1000 + i, 80, 64, i)));
                    gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 63, TestPackets.udp4(ip("10.0.0.1") + i, ip("127.0.0.3"), 1000 + i, 80, 64, 100 + i)));
                    gen.send(a.localAddress(), TestPackets.nsh(SPI, 255, 63, TestPackets.udp4(ip("10.0.0.1") + i, ip("10.9.9.9"), 1000 + i, 80, 64, 200 + i)));
                }
                await().atMost(Duration.ofSeconds(15)).until(() -> two.received.size() + three.received.size() == 3 * FLOWS);
                Map<Integer, String> at = SfNodeReplicaTest.seen(two, three);
                for (int i = 0; i < FLOWS; i++) {
                    assertThat(at.get(i)).as("flow %d to 127.0.0.2", i).isEqualTo("127.0.0.2");
                    assertThat(at.get(100 + i)).as("flow %d to 127.0.0.3", i).isEqualTo("127.0.0.3");
                }
                long elsewhereOnTwo = java.util.stream.IntStream.range(0, FLOWS).filter(i -> "127.0.0.2".equals(at.get(200 + i))).count();
                assertThat(elsewhereOnTwo).as("packets for neither pod spread by flow hash").isBetween(1L, (long) FLOWS - 1);
            }
        } finally {
            two.close();
            three.close();
        }
    }
}
