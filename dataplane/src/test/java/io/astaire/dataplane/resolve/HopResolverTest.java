package io.astaire.dataplane.resolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.dataplane.transport.Endpoint;
import io.astaire.model.HopAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
    void anUnreachableReplicaIsLeftOutForTheHoldDownThenTriedAgain() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start(List.of("127.0.0.2 svc.test", "127.0.0.3 svc.test"), 60);
             HopResolver r = new HopResolver(new DnsNameLookup(dns.address(), DnsNameLookup.Family.IPV4, Duration.ofSeconds(2)), fast())) {
            ResolvedHop hop = r.hop(HopAddress.parse("svc.test:4790"));
            r.firstAnswers(List.of(hop)).get(10, TimeUnit.SECONDS);
            r.markUnreachable(new InetSocketAddress("127.0.0.2", 4790));
            assertThat(hop.replicas().up()).containsExactly(ep("127.0.0.3", 4790));
            for (int h = 0; h < 1000; h++) {
                assertThat(hop.select(h * 31)).isEqualTo(ep("127.0.0.3", 4790));
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(Set.copyOf(hop.replicas().up())).hasSize(2));
        }
    }
}
