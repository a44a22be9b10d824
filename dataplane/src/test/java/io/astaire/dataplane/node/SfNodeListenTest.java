package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.dataplane.testing.FixedTopologySource;
import io.astaire.function.Verdict;
import io.astaire.model.HopAddress;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Where a node listens when not told, and that a node which cannot send at all says so: the
 * topology's address when it is this host's (never every interface, where any host could inject
 * packets into a later hop of a chain), the address family the topology uses, and {@code /readyz}
 * 503 when every send fails.
 */
class SfNodeListenTest {

    private SfNode node;

    @AfterEach
    void close() {
        if (node != null) {
            node.close();
        }
    }

    private static FixedTopologySource topology(String self, String next) {
        return new FixedTopologySource(TopologyCodec.parse("""
                functions:
                  - {name: a, kind: passthrough, address: "%s"}
                chains:
                  - {name: web, spi: 10, symmetric: false, functions: [a]}
                egress: {address: "%s"}
                """.formatted(self, next)));
    }

    private static SfNode.Builder passthrough() {
        return SfNode.builder().workers(1).functionFactory((spec, meters) -> packet -> Verdict.FORWARD);
    }

    @Test
    void withoutListenANodeBindsItsTopologyAddressOnly() throws Exception {
        int port = SfNodeChainTest.freePort();
        node = passthrough().topology(topology("127.0.0.2:" + port, "127.0.0.1:4799"), List.of("a")).start();
        assertThat(node.localAddress()).isEqualTo(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.2"), port));
        assertThat(udpListeners(port)).as("ss -uln for port " + port).containsExactly("127.0.0.2:" + port);
    }

    @Test
    void anIpv6TopologyGetsAnIpv6SocketThatForwardsToIpv6Hops() throws Exception {
        try (DatagramSocket sink = new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral("::1"), 0))) {
            sink.setSoTimeout(5000);
            int port = SfNodeChainTest.freePort();
            node = passthrough().topology(topology("[::1]:" + port, "[::1]:" + sink.getLocalPort()), List.of("a")).start();
            assertThat(node.localAddress().getAddress()).isInstanceOf(Inet6Address.class).isEqualTo(InetAddress.ofLiteral("::1"));
            byte[] datagram = TestPackets.nsh(10, 255, 63, TestPackets.udp4(ip("10.0.0.1"), ip("10.0.0.2"), 1000, 2000, 32, 1));
            try (DatagramSocket gen = new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral("::1"), 0))) {
                gen.send(new DatagramPacket(datagram, datagram.length, node.localAddress()));
            }
            DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
            sink.receive(got);
            assertThat(got.getLength()).isEqualTo(datagram.length);
        }
    }

    @Test
    void aNameListensOnEveryInterfaceAndAForeignAddressOnEveryInterfaceOfItsFamily() {
        assertThat(io.astaire.dataplane.transport.DefaultListen.forHop(new HopAddress("sf1.default.svc", 4790), "a").everyInterface())
                .isTrue();
        var foreign = io.astaire.dataplane.transport.DefaultListen.forHop(new HopAddress("192.0.2.77", 4790), "a");
        assertThat(foreign.address().getAddress()).isEqualTo(InetAddress.ofLiteral("0.0.0.0"));
        assertThat(foreign.why()).contains("not an address of this host");
        var foreign6 = io.astaire.dataplane.transport.DefaultListen.forHop(new HopAddress("2001:db8::77", 4790), "a");
        assertThat(foreign6.address().getAddress()).isEqualTo(InetAddress.ofLiteral("::"));
    }

    @Test
    void aNodeWhoseEverySendFailsIsNotReadyAndSaysWhy() throws Exception {
        int port = SfNodeChainTest.freePort();
        // Told to listen on IPv4 while its next hop is IPv6: the kernel refuses every send.
        node = passthrough().topology(topology("127.0.0.1:" + port, "[::1]:4799"), List.of("a"))
                .listen(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), port))
                .metricsListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start();
        URI readyz = URI.create("http://127.0.0.1:" + node.metricsAddress().getPort() + "/readyz");
        assertThat(get(readyz).statusCode()).as("ready before any traffic").isEqualTo(200);

        byte[] datagram = TestPackets.nsh(10, 255, 63, TestPackets.udp4(ip("10.0.0.1"), ip("10.0.0.2"), 1000, 2000, 32, 1));
        try (DatagramSocket gen = new DatagramSocket()) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                gen.send(new DatagramPacket(datagram, datagram.length, node.localAddress()));
                HttpResponse<String> r = get(readyz);
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.body()).contains("every send to the next hops failed");
            });
        }
        assertThat(node.scrape()).contains("astaire_sends_failing 1.0");
        assertThat(node.drops(io.astaire.dataplane.counters.DropReason.SEND_FAILED)).isPositive();
    }

    @Test
    void anEchoRequestIsAnsweredAndCountedAndAReplyIsRefused() throws Exception {
        int port = SfNodeChainTest.freePort();
        node = passthrough().topology(topology("127.0.0.1:" + port, "127.0.0.1:4799"), List.of("a")).start();
        try (DatagramSocket prober = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            prober.setSoTimeout(5000);
            java.nio.ByteBuffer request = java.nio.ByteBuffer.allocate(io.astaire.dataplane.oam.OamEcho.LENGTH);
            io.astaire.dataplane.oam.OamEcho.writeRequest(request, 0, (InetSocketAddress) prober.getLocalSocketAddress(), 42);
            prober.send(new DatagramPacket(request.array(), request.capacity(), node.localAddress()));
            DatagramPacket reply = new DatagramPacket(new byte[128], 128);
            prober.receive(reply);
            java.nio.ByteBuffer got = java.nio.ByteBuffer.wrap(reply.getData(), 0, reply.getLength());
            assertThat(io.astaire.dataplane.oam.OamEcho.type(got, 0, reply.getLength())).isEqualTo(io.astaire.dataplane.oam.OamEcho.REPLY);
            assertThat(io.astaire.dataplane.oam.OamEcho.nonce(got, 0)).isEqualTo(42);
            // A reply sent to a node is not a request: refused, never answered.
            prober.send(new DatagramPacket(reply.getData(), reply.getLength(), node.localAddress()));
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(node.scrape())
                    .contains("astaire_oam_echo_total{outcome=\"answered\"} 1.0")
                    .contains("astaire_oam_echo_total{outcome=\"refused\"} 1.0"));
        }
    }

    private static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        try (HttpClient c = HttpClient.newHttpClient()) {
            return c.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** The local addresses {@code ss} lists for UDP sockets on {@code port}. */
    private static List<String> udpListeners(int port) throws Exception {
        Process p = new ProcessBuilder("ss", "-H", "-uln", "sport = :" + port).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out.lines().map(l -> l.trim().split("\\s+")).filter(f -> f.length >= 4).map(f -> f[3]).distinct().toList();
    }
}
