package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.dataplane.testing.FixedTopologySource;
import io.astaire.function.Verdict;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.VxlanGpeHeader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real node on loopback routes each packet by the path generation it carries (NSH context word
 * 3): after a chain change, packets of the old path still reach the old next hop until the drain
 * time passes, the new and unversioned ones take the new path, and a function cannot change it.
 */
class SfNodeGenerationTest {
    private static final int SPI = 10;
    private final DatagramSocket oldHop = socket();
    private final DatagramSocket newHop = socket();
    private SfNode node;

    private static DatagramSocket socket() {
        try {
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            s.setSoTimeout(200);
            return s;
        } catch (java.net.SocketException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void close() {
        if (node != null) {
            node.close();
        }
        oldHop.close();
        newHop.close();
    }

    private Topology chain(int nodePort, DatagramSocket second) {
        return TopologyCodec.parse("""
                functions:
                  - {name: a, kind: clobber, address: "127.0.0.1:%d"}
                  - {name: b, kind: clobber, address: "127.0.0.1:%d"}
                  - {name: c, kind: clobber, address: "127.0.0.1:%d"}
                chains:
                  - {name: web, spi: %d, symmetric: false, functions: [a, %s]}
                egress: {address: "127.0.0.1:4799"}
                """.formatted(nodePort, oldHop.getLocalPort(), newHop.getLocalPort(), SPI, second == oldHop ? "b" : "c"));
    }

    private static byte[] packet(int generation, int seed) {
        byte[] p = TestPackets.nsh(SPI, 255, 63, TestPackets.udp4(ip("10.0.0.1"), ip("10.20.0.7"), 40000, 80, 64, seed));
        ByteBuffer.wrap(p).putInt(VxlanGpeHeader.LENGTH + NshHeader.BASE_LENGTH + 4 * NshHeader.PATH_GENERATION_WORD, generation);
        return p;
    }

    /** The generation the packet left the node with, or null when {@code hop} got nothing. */
    private static Integer receivedGeneration(DatagramSocket hop) throws Exception {
        byte[] buf = new byte[2048];
        DatagramPacket d = new DatagramPacket(buf, buf.length);
        try {
            hop.receive(d);
        } catch (SocketTimeoutException e) {
            return null;
        }
        GpeNshPacket p = new GpeNshPacket();
        p.wrap(ByteBuffer.wrap(buf, 0, d.getLength()), 0, d.getLength());
        assertThat(p.nsh().md1Context(0)).as("the function ran and owns words 0-2").isEqualTo(0xF00D);
        return p.nsh().pathGeneration();
    }

    private void send(int generation, int seed) throws Exception {
        byte[] p = packet(generation, seed);
        try (DatagramSocket s = new DatagramSocket()) {
            s.send(new DatagramPacket(p, p.length, node.localAddress()));
        }
    }

    @Test
    void packetsOfTheOldPathKeepTheirRouteUntilTheDrainTimePasses() throws Exception {
        int port = SfNodeChainTest.freePort();
        Topology v1 = chain(port, oldHop);
        Topology v2 = chain(port, newHop);
        int g1 = v1.paths().getFirst().generation();
        int g2 = v2.paths().getFirst().generation();
        FixedTopologySource source = new FixedTopologySource(v1);
        Duration drain = Duration.ofMillis(1500);
        node = SfNode.builder().topology(source, List.of("a")).workers(1).drain(drain)
                .functionFactory((spec, meters) -> packet -> {
                    // A function that writes every context word it owns (0-2); word 3 is the node's
                    // (a function cannot write it: FunctionNshContractTest).
                    for (int w = 0; w < 3; w++) {
                        packet.nsh().md1Context(w, 0xF00D);
                    }
                    return Verdict.FORWARD;
                })
                .start();

        send(g1, 1);
        assertThat(receivedGeneration(oldHop)).isEqualTo(g1);

        source.publish(v2); // b replaced by c: a now forwards to c
        long published = System.nanoTime();
        send(g1, 2);
        assertThat(receivedGeneration(oldHop)).as("sent on the old path: still to b").isEqualTo(g1);
        send(g2, 3);
        assertThat(receivedGeneration(newHop)).as("sent on the new path: to c").isEqualTo(g2);
        send(0, 4);
        assertThat(receivedGeneration(newHop)).as("unversioned: the current path, stamped with it").isEqualTo(g2);
        long unknownBefore = node.counterSnapshot().get("unknown_generation");
        send(0x5EED, 5);
        assertThat(receivedGeneration(newHop)).as("an unknown generation: the current path").isEqualTo(g2);
        assertThat(node.counterSnapshot().get("unknown_generation")).isEqualTo(unknownBefore + 1);
        assertThat(node.scrape()).contains("astaire_sf_unknown_generation_total " + (unknownBefore + 1) + ".0");
        assertThat(receivedGeneration(oldHop)).isNull();
        assertThat(System.nanoTime() - published).as("all of the above within the drain time").isLessThan(drain.toNanos());

        // After the drain time the timer removes the old routes without another topology change.
        await().atMost(Duration.ofSeconds(10)).pollDelay(drain).until(() -> {
            send(g1, 6);
            return receivedGeneration(newHop) != null;
        });
        assertThat(receivedGeneration(oldHop)).isNull();
    }
}
