package io.astaire.dataplane.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.oam.OamEcho;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.resolve.NameLookup;
import io.astaire.dataplane.testing.FixedTopologySource;
import io.astaire.dataplane.testing.NetNs;
import io.astaire.dataplane.tun.TunDevice;
import io.astaire.model.TopologyCodec;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An egress (a next hop like any function's replica) answers the resolver's NSH OAM echo on its
 * NSH port, so a forwarder that took it out after an ICMP error gives it its flows back.
 */
@Timeout(60)
class EdgeEchoTest {
    private NetNs ns;

    @BeforeEach
    void namespace() {
        String reason = NetNs.unavailableReason();
        assumeTrue(reason == null, () -> "edge test skipped: " + reason);
        assumeTrue(TunDevice.available(), "edge test skipped: /dev/net/tun is missing or not writable");
        ns = NetNs.create("asecho");
    }

    @AfterEach
    void cleanup() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void anEgressAnswersAnEchoRequestAndIgnoresAReply() throws Exception {
        ns.call(() -> {
            int port;
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                port = s.getLocalPort();
            }
            FixedTopologySource source = new FixedTopologySource(TopologyCodec.parse("""
                    functions:
                      - {name: f1, kind: passthrough, address: 127.0.0.1:4791}
                    chains:
                      - {name: web, spi: 10, symmetric: false, functions: [f1]}
                    egress: {address: 127.0.0.1:%d}
                    """.formatted(port)));
            NameLookup none = host -> CompletableFuture.failedFuture(new IllegalStateException("no DNS here: " + host));
            EdgeConfig config = EdgeConfig.defaults(EdgeRole.EGRESS, "techo0").withListen(new InetSocketAddress("127.0.0.1", port))
                    .withUnderlayMtu(1500);
            try (EdgeNode egress = EdgeNode.start(config, source, new HopResolver(none, HopResolver.Options.defaults()));
                 DatagramSocket prober = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                prober.setSoTimeout(3000);
                ByteBuffer request = ByteBuffer.allocate(OamEcho.LENGTH);
                OamEcho.writeRequest(request, 0, (InetSocketAddress) prober.getLocalSocketAddress(), 42L);
                prober.send(new DatagramPacket(request.array(), OamEcho.LENGTH, new InetSocketAddress("127.0.0.1", port)));
                DatagramPacket got = new DatagramPacket(new byte[256], 256);
                prober.receive(got);
                ByteBuffer reply = ByteBuffer.wrap(got.getData(), 0, got.getLength());
                assertThat(OamEcho.type(reply, 0, got.getLength())).isEqualTo(OamEcho.REPLY);
                assertThat(OamEcho.nonce(reply, 0)).isEqualTo(42L);

                // A reply sent to it is not answered (two responders never play ping-pong), and the edge goes on.
                prober.send(new DatagramPacket(reply.array(), got.getLength(), new InetSocketAddress("127.0.0.1", port)));
                prober.setSoTimeout(500);
                assertThat(receives(prober)).isFalse();
                assertThat(egress.ready()).isTrue();
                assertThat(egress.echoes(true)).as("answered").isEqualTo(1);
                assertThat(egress.echoes(false)).as("the reply sent back to it: refused").isEqualTo(1);
            }
            return null;
        });
    }

    private static boolean receives(DatagramSocket s) throws Exception {
        try {
            s.receive(new DatagramPacket(new byte[256], 256));
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        }
    }
}
