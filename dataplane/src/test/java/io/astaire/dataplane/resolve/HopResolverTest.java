package io.astaire.dataplane.resolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.astaire.dataplane.oam.OamEcho;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.model.HopAddress;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HopResolverTest {

    static HopResolver.Options fast() {
        return new HopResolver.Options(Duration.ofMillis(300), Duration.ofSeconds(2), Duration.ofMillis(500));
    }

    static Endpoint ep(String ip, int port) throws Exception {
        return Endpoint.of(InetAddress.getByName(ip), port);
    }

    @Test
    void literalsResolveAtOnceWithoutDns() throws Exception {
        try (HopResolver r = new HopResolver(new DnsNameLookup(new InetSocketAddress("127.0.0.1", 9), DnsNameLookup.Family.BOTH, Duration.ofMillis(100)), fast())) {
            ResolvedHop v4 = r.hop(HopAddress.parse("127.0.0.5:4790"));
            ResolvedHop v6 = r.hop(HopAddress.parse("[::1]:4791"));
            assertThat(v4.replicas().all()).containsExactly(ep("127.0.0.5", 4790));
            assertThat(v6.replicas().all()).containsExactly(ep("::1", 4791));
            assertThat(r.hop(HopAddress.parse("127.0.0.5:4790"))).isSameAs(v4);
        }
    }

    @Test
    void resolvesANameToAllItsAddressesAndFollowsChangesAfterTheTtl() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start(List.of("127.0.0.2 nat.test", "127.0.0.3 nat.test"), 1);
             HopResolver r = new HopResolver(new DnsNameLookup(dns.address(), DnsNameLookup.Family.IPV4, Duration.ofSeconds(2)), fast())) {
            ResolvedHop hop = r.hop(HopAddress.parse("nat.test:4790"));
            r.firstAnswers(List.of(hop)).get(10, TimeUnit.SECONDS);
            assertThat(hop.replicas().all()).containsExactlyInAnyOrder(ep("127.0.0.2", 4790), ep("127.0.0.3", 4790));
            // a replica disappears from DNS: after the (1 s) TTL the hop follows
            dns.hosts(List.of("127.0.0.3 nat.test"));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(hop.replicas().all()).containsExactly(ep("127.0.0.3", 4790)));
            // and a new one appears
            dns.hosts(List.of("127.0.0.3 nat.test", "127.0.0.4 nat.test"));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(hop.replicas().all()).hasSize(2));
        }
    }

    @Test
    void aFailedLookupKeepsTheLastGoodAnswer() throws Exception {
        Dnsmasq dns = Dnsmasq.start(List.of("127.0.0.2 keep.test"), 1);
        try (HopResolver r = new HopResolver(new DnsNameLookup(dns.address(), DnsNameLookup.Family.IPV4, Duration.ofMillis(300)), fast())) {
            ResolvedHop hop = r.hop(HopAddress.parse("keep.test:4790"));
            r.firstAnswers(List.of(hop)).get(10, TimeUnit.SECONDS);
            dns.close(); // the server goes away: lookups time out from now on
            Thread.sleep(2500); // several refresh attempts fail (not a timing assertion: the state must not change)
            assertThat(hop.replicas().all()).containsExactly(ep("127.0.0.2", 4790));
        }
    }

    @Test
    void anUnreachableReplicaStaysOutUntilItAnswersAProbeAndItsLossesAreCounted() throws Exception {
        try (DatagramSocket dead = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0))) {
            int port = dead.getLocalPort();
            InetSocketAddress two = new InetSocketAddress("127.0.0.2", port);
            HopResolver.Options options = new HopResolver.Options(Duration.ofMillis(300), Duration.ofSeconds(2),
                    Duration.ofMillis(300), Duration.ofMillis(100));
            try (Dnsmasq dns = Dnsmasq.start(List.of("127.0.0.2 svc.test", "127.0.0.3 svc.test"), 60);
                 HopResolver r = new HopResolver(new DnsNameLookup(dns.address(), DnsNameLookup.Family.IPV4, Duration.ofSeconds(2)), options)) {
                SimpleMeterRegistry meters = new SimpleMeterRegistry();
                r.meters(meters);
                ResolvedHop hop = r.hop(HopAddress.parse("svc.test:" + port));
                r.firstAnswers(List.of(hop)).get(10, TimeUnit.SECONDS);
                r.markUnreachable(two);
                r.markUnreachable(two);
                r.markUnreachable(new InetSocketAddress("192.0.2.1", 9)); // not a replica of any name
                assertThat(hop.replicas().up()).containsExactly(ep("127.0.0.3", port));
                for (int h = 0; h < 1000; h++) {
                    assertThat(hop.select(h * 31)).isEqualTo(ep("127.0.0.3", port));
                }
                assertThat(r.unreachableCount(two)).isEqualTo(2);
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                    assertThat(meters.find("astaire.next.hop.unreachable").tag("replica", "127.0.0.2:" + port)
                            .functionCounter()).isNotNull().extracting(c -> c.count()).isEqualTo(2.0);
                    assertThat(meters.find("astaire.next.hop.unreachable").tag("replica", "other")
                            .functionCounter()).isNotNull().extracting(c -> c.count()).isEqualTo(1.0);
                });

                // Alive but silent (a socket that does not answer): probed, and kept out well past the hold-down.
                dead.setSoTimeout(3000);
                byte[] buf = new byte[256];
                for (int probe = 0; probe < 5; probe++) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    dead.receive(p);
                    assertThat(OamEcho.type(ByteBuffer.wrap(buf), 0, p.getLength())).isEqualTo(OamEcho.REQUEST);
                }
                assertThat(hop.replicas().up()).as("not back on a timer").containsExactly(ep("127.0.0.3", port));

                // It answers the next probe: back in.
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                dead.receive(p);
                ByteBuffer request = ByteBuffer.wrap(buf, 0, p.getLength());
                OamEcho.toReply(request, 0);
                InetSocketAddress replyTo = OamEcho.replyTo(request, 0);
                dead.send(new DatagramPacket(buf, p.getLength(), replyTo));
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                        assertThat(Set.copyOf(hop.replicas().up())).hasSize(2));
            }
        }
    }

    @Test
    void aReplicaThatLeavesTheAnswerIsNoLongerProbed() throws Exception {
        try (DatagramSocket gone = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0))) {
            int port = gone.getLocalPort();
            HopResolver.Options options = new HopResolver.Options(Duration.ofMillis(300), Duration.ofSeconds(1),
                    Duration.ZERO, Duration.ofMillis(50));
            try (Dnsmasq dns = Dnsmasq.start(List.of("127.0.0.2 svc.test", "127.0.0.3 svc.test"), 1);
                 HopResolver r = new HopResolver(new DnsNameLookup(dns.address(), DnsNameLookup.Family.IPV4, Duration.ofSeconds(2)), options)) {
                ResolvedHop hop = r.hop(HopAddress.parse("svc.test:" + port));
                r.firstAnswers(List.of(hop)).get(10, TimeUnit.SECONDS);
                r.markUnreachable(new InetSocketAddress("127.0.0.2", port));
                gone.setSoTimeout(3000);
                gone.receive(new DatagramPacket(new byte[256], 256)); // probed
                dns.hosts(List.of("127.0.0.3 svc.test"));
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(hop.replicas().all()).containsExactly(ep("127.0.0.3", port)));
                Thread.sleep(200); // probes already sent may still arrive: drain them
                gone.setSoTimeout(50);
                drain(gone);
                gone.setSoTimeout(1000); // 20 probe intervals
                assertThatThrownBy(() -> gone.receive(new DatagramPacket(new byte[256], 256)))
                        .as("no probe once the replica left the answer").isInstanceOf(SocketTimeoutException.class);
            }
        }
    }

    private static void drain(DatagramSocket s) throws IOException {
        try {
            while (true) {
                s.receive(new DatagramPacket(new byte[256], 256));
            }
        } catch (SocketTimeoutException empty) {
            // drained
        }
    }
}
