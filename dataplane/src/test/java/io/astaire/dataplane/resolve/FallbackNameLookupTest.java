package io.astaire.dataplane.resolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The node-local cache first, the cluster DNS next, with real dnsmasq servers: each answers the
 * same name with its own address, so every answer tells which server gave it. The dead cache is a
 * UDP socket that reads nothing, as a node's IP does while the DaemonSet's pod is not running.
 */
class FallbackNameLookupTest {

    private static final String NAME = "acl.sfc.svc.cluster.local";
    private static final Duration CACHE_TIMEOUT = Duration.ofMillis(250);

    private static String answer(NameLookup lookup) throws Exception {
        return lookup.lookup(NAME).get(10, TimeUnit.SECONDS).addresses().getFirst().getHostAddress();
    }

    private static DnsNameLookup at(InetSocketAddress server, Duration timeout) {
        return new DnsNameLookup(server, DnsNameLookup.Family.IPV4, timeout);
    }

    @Test
    void aLiveCacheAnswersAndTheClusterDnsIsNotAsked() throws Exception {
        try (Dnsmasq cache = Dnsmasq.start(List.of("10.244.0.1 " + NAME), 5);
             Dnsmasq cluster = Dnsmasq.start(List.of("10.244.0.2 " + NAME), 5);
             FallbackNameLookup lookup = new FallbackNameLookup(at(cache.address(), CACHE_TIMEOUT), "cache",
                     at(cluster.address(), Duration.ofSeconds(2)), Duration.ofSeconds(30))) {
            assertThat(answer(lookup)).isEqualTo("10.244.0.1");
            assertThat(answer(lookup)).isEqualTo("10.244.0.1");
            assertThat(lookup.preferredBenched()).isFalse();
        }
    }

    @Test
    void aDeadCacheFallsBackQuicklyAndIsSkippedUntilItsBenchEnds() throws Exception {
        AtomicLong now = new AtomicLong();
        try (DatagramSocket deadCache = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             Dnsmasq cluster = Dnsmasq.start(List.of("10.244.0.2 " + NAME), 5);
             Dnsmasq revivedCache = Dnsmasq.start(List.of("10.244.0.1 " + NAME), 5)) {
            InetSocketAddress dead = new InetSocketAddress(InetAddress.getLoopbackAddress(), deadCache.getLocalPort());
            try (FallbackNameLookup lookup = new FallbackNameLookup(at(dead, CACHE_TIMEOUT), "cache",
                    at(cluster.address(), Duration.ofSeconds(2)), Duration.ofSeconds(30), now::get)) {
                long start = System.nanoTime();
                assertThat(answer(lookup)).isEqualTo("10.244.0.2");
                long firstMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                // The cache's timeout, not the cluster DNS's 2 s, bounds the wait (Netty may retry once).
                assertThat(firstMillis).as("first lookup with a dead cache, ms").isLessThan(1900);
                assertThat(lookup.preferredBenched()).isTrue();

                // Benched: the dead cache is not asked, so no timeout is waited out at all.
                start = System.nanoTime();
                assertThat(answer(lookup)).isEqualTo("10.244.0.2");
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(CACHE_TIMEOUT.toMillis());

                now.addAndGet(Duration.ofSeconds(29).toNanos());
                assertThat(lookup.preferredBenched()).isTrue();
                now.addAndGet(Duration.ofSeconds(2).toNanos());
                assertThat(lookup.preferredBenched()).as("after the bench the cache is asked again").isFalse();
            }
            // The cache comes up (here: another server where DNS_IP points); once benched time is over it answers again.
            try (FallbackNameLookup lookup = new FallbackNameLookup(at(revivedCache.address(), CACHE_TIMEOUT), "cache",
                    at(cluster.address(), Duration.ofSeconds(2)), Duration.ofSeconds(30), now::get)) {
                assertThat(answer(lookup)).isEqualTo("10.244.0.1");
            }
        }
    }

    @Test
    void whenBothFailTheLookupFailsAndTheCacheIsNotBenched() throws Exception {
        try (DatagramSocket a = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             DatagramSocket b = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             FallbackNameLookup lookup = new FallbackNameLookup(
                     at(new InetSocketAddress(InetAddress.getLoopbackAddress(), a.getLocalPort()), CACHE_TIMEOUT), "cache",
                     at(new InetSocketAddress(InetAddress.getLoopbackAddress(), b.getLocalPort()), CACHE_TIMEOUT),
                     Duration.ofSeconds(30))) {
            assertThatThrownBy(() -> lookup.lookup(NAME).get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(Exception.class);
            assertThat(lookup.preferredBenched()).isFalse();
        }
    }

    @Test
    void dnsIpMustBeAnAddressAndAnExplicitServerWins() throws Exception {
        assertThatThrownBy(() -> NodeNameLookups.create(null, DnsNameLookup.Family.IPV4, Duration.ofSeconds(1), Map.of("DNS_IP", "node-1")))
                .hasMessageContaining("DNS_IP").hasMessageContaining("'node-1' is not an IP address");
        try (NameLookup withCache = NodeNameLookups.create(null, DnsNameLookup.Family.IPV4, Duration.ofSeconds(1), Map.of("DNS_IP", "192.0.2.1"))) {
            assertThat(withCache).isInstanceOf(FallbackNameLookup.class);
        }
        try (Dnsmasq explicit = Dnsmasq.start(List.of("10.244.0.3 " + NAME), 5);
             NameLookup lookup = NodeNameLookups.create(explicit.address(), DnsNameLookup.Family.IPV4, Duration.ofSeconds(2),
                     Map.of("DNS_IP", "192.0.2.1"))) {
            assertThat(lookup).isInstanceOf(DnsNameLookup.class);
            assertThat(answer(lookup)).isEqualTo("10.244.0.3");
        }
        try (NameLookup none = NodeNameLookups.create(null, DnsNameLookup.Family.IPV4, Duration.ofSeconds(1), Map.of())) {
            assertThat(none).isInstanceOf(DnsNameLookup.class);
        }
    }
}
