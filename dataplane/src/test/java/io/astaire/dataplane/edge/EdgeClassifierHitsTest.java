package io.astaire.dataplane.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.classify.ClassifierLimit;
import io.astaire.dataplane.classify.ClassifierTooLargeException;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.resolve.NameLookup;
import io.astaire.dataplane.testing.FixedTopologySource;
import io.astaire.dataplane.testing.NetNs;
import io.astaire.dataplane.testing.Packets;
import io.astaire.dataplane.tun.TunDevice;
import io.astaire.dataplane.update.RejectionKind;
import io.astaire.model.TopologyCodec;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An ingress in a fresh namespace with a real TUN device counts what its classifier did: packets
 * per rule and per chain, cache hits and misses per worker, on /metrics and as JSON; the counts of
 * a rule that stays survive a rule-set change; a rule set over the memory bound is refused at start
 * and, on an update, leaves the running rules (and their counts) in place.
 */
@Timeout(90)
class EdgeClassifierHitsTest {
    private static final ClassifierLimit ONE_MIB = new ClassifierLimit(1 << 20);
    private NetNs ns;

    @BeforeEach
    void namespace() {
        String reason = NetNs.unavailableReason();
        assumeTrue(reason == null, () -> "edge test skipped: " + reason);
        assumeTrue(TunDevice.available(), "edge test skipped: /dev/net/tun is missing or not writable");
        ns = NetNs.create("ashits");
    }

    @AfterEach
    void cleanup() {
        if (ns != null) {
            ns.close();
        }
    }

    private static String topology(int firstHopPort, String rules) {
        return """
                functions:
                  - {name: f1, kind: passthrough, address: 127.0.0.1:%d}
                chains:
                  - {name: web, spi: 10, functions: [f1]}
                  - {name: dns, spi: 20, functions: [f1]}
                ingress: {address: 127.0.0.1:4998}
                egress: {address: 127.0.0.1:4999}
                rules:
                """.formatted(firstHopPort) + rules;
    }

    private static final String V1_RULES = """
              - {name: dns-rule, priority: 20, protocol: udp, destination: 10.2.0.0/24, destinationPorts: 53, chain: dns}
              - {name: web-rule, priority: 10, protocol: udp, destination: 10.2.0.0/24, chain: web}
            """;
    // dns-rule leaves (its chain keeps no rule), web-rule stays behind a new rule
    private static final String V2_RULES = """
              - {name: ssh-rule, priority: 30, protocol: udp, destination: 10.2.0.22/32, chain: web}
              - {name: web-rule, priority: 10, protocol: udp, destination: 10.2.0.0/24, chain: web}
            """;

    private static String manyRules(int n) {
        StringBuilder y = new StringBuilder(V1_RULES);
        for (int i = 0; i < n; i++) {
            y.append("  - {name: r").append(i).append(", priority: 5, protocol: tcp, destination: 10.9.")
                    .append(i >> 8 & 255).append('.').append(i & 255).append("/32, chain: web}\n");
        }
        return y.toString();
    }

    private static HopResolver literalResolver() {
        NameLookup none = host -> CompletableFuture.failedFuture(new IllegalStateException("no DNS in this test: " + host));
        return new HopResolver(none, HopResolver.Options.defaults());
    }

    @Test
    void hitsPerRuleAndChainAreCountedAndSurviveARuleSetChange() throws Exception {
        ns.call(() -> {
            // no IPv6 on the new device: the kernel's own packets (router solicitation, MLD) would be counted too
            ns.exec("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
            try (DatagramSocket firstHop = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                 DatagramSocket web = new DatagramSocket(0)) {
                firstHop.setSoTimeout(5000);
                FixedTopologySource source = new FixedTopologySource(TopologyCodec.parse(topology(firstHop.getLocalPort(), V1_RULES)));
                EdgeConfig config = EdgeConfig.defaults(EdgeRole.INGRESS, "thit0").withUnderlayMtu(1500)
                        .withListen(new InetSocketAddress("127.0.0.1", 0)).withClassifierLimit(ONE_MIB)
                        .withTunAddresses(List.of(new TunDevice.InterfaceAddress(Packets.ip("10.1.0.1"), 24)));
                try (EdgeNode ingress = EdgeNode.start(config, source, literalResolver())) {
                    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                    EdgeMetrics metrics = new EdgeMetrics(registry, ingress);
                    ns.exec("ip", "route", "add", "10.2.0.0/24", "dev", "thit0");
                    ns.exec("ip", "route", "add", "10.3.0.0/24", "dev", "thit0");

                    // 7 packets of one web flow, 3 DNS queries from 3 sockets (3 flows), 2 packets no rule matches
                    send(web, "10.2.0.5", 7777, 7);
                    for (int i = 0; i < 3; i++) {
                        try (DatagramSocket dns = new DatagramSocket(0)) {
                            send(dns, "10.2.0.6", 53, 1);
                        }
                    }
                    send(web, "10.3.0.5", 7777, 2);
                    receive(firstHop, 10);
                    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                        String text = scrape(metrics, registry);
                        assertThat(value(text, "astaire_classifier_unmatched_total", "")).isEqualTo(2);
                        assertThat(value(text, "astaire_classifier_rule_hits_total", "rule=\"web-rule\"")).isEqualTo(7);
                    });
                    String text = scrape(metrics, registry);
                    assertThat(value(text, "astaire_classifier_rule_hits_total", "rule=\"dns-rule\"")).isEqualTo(3);
                    assertThat(text).contains("astaire_classifier_rule_hits_total{chain=\"web\",role=\"ingress\",rule=\"web-rule\"} 7.0");
                    assertThat(value(text, "astaire_classifier_chain_hits_total", "chain=\"web\"")).isEqualTo(7);
                    assertThat(value(text, "astaire_classifier_chain_hits_total", "chain=\"dns\"")).isEqualTo(3);
                    // one miss per flow (web, 3 DNS, the unmatched one), the other packets from the cache
                    assertThat(value(text, "astaire_classifier_lookups_total", "result=\"miss\",role=\"ingress\",worker=\"ingress-tun-0\"")).isEqualTo(5);
                    assertThat(value(text, "astaire_classifier_lookups_total", "result=\"hit\",role=\"ingress\",worker=\"ingress-tun-0\"")).isEqualTo(7);
                    assertThat(value(text, "astaire_classifier_memory_bytes", "")).isEqualTo(ingress.tables().rules().memoryBytes())
                            .isLessThanOrEqualTo(ClassifierLimit.upperBound(2));
                    assertThat(metrics.classifierRulesJson()).contains(
                            "\"rules\":[{\"rule\":\"dns-rule\",\"chain\":\"dns\",\"hits\":3},{\"rule\":\"web-rule\",\"chain\":\"web\",\"hits\":7}]",
                            "\"unmatched\":2");

                    // v2: web-rule stays and keeps its 7; dns-rule and the dns chain's series go
                    source.publish(TopologyCodec.parse(topology(firstHop.getLocalPort(), V2_RULES)));
                    assertThat(ingress.appliedVersion()).isEqualTo(2);
                    send(web, "10.2.0.5", 7777, 2);
                    receive(firstHop, 2);
                    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                            assertThat(value(scrape(metrics, registry), "astaire_classifier_rule_hits_total", "rule=\"web-rule\"")).isEqualTo(9));
                    text = scrape(metrics, registry);
                    assertThat(text).doesNotContain("dns-rule").doesNotContain("chain=\"dns\"");
                    assertThat(value(text, "astaire_classifier_rule_hits_total", "rule=\"ssh-rule\"")).isZero();
                    assertThat(value(text, "astaire_classifier_chain_hits_total", "chain=\"web\"")).isEqualTo(9);

                    // v3 is over the 1 MiB bound: refused, counted; v2's rules and counts stay in use
                    source.publish(TopologyCodec.parse(topology(firstHop.getLocalPort(), manyRules(6000))));
                    assertThat(ingress.appliedVersion()).isEqualTo(2);
                    assertThat(ingress.rejection().kind()).isEqualTo(RejectionKind.CLASSIFIER_TOO_LARGE);
                    assertThat(ingress.rejection().reason()).contains("over the limit of 1 MiB");
                    send(web, "10.2.0.5", 7777, 1);
                    receive(firstHop, 1);
                    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                        String t = scrape(metrics, registry);
                        assertThat(value(t, "astaire_classifier_rule_hits_total", "rule=\"web-rule\"")).isEqualTo(10);
                        assertThat(value(t, "astaire_topology_rejected_total", "reason=\"classifier_too_large\"")).isEqualTo(1);
                    });
                }
                return null;
            }
        });
    }

    @Test
    void anEdgeGivenARuleSetOverTheBoundDoesNotStartAndSaysWhy() throws Exception {
        ns.call(() -> {
            FixedTopologySource source = new FixedTopologySource(TopologyCodec.parse(topology(4791, manyRules(6000))));
            EdgeConfig config = EdgeConfig.defaults(EdgeRole.INGRESS, "thit1").withUnderlayMtu(1500)
                    .withListen(new InetSocketAddress("127.0.0.1", 0)).withClassifierLimit(ONE_MIB);
            assertThatThrownBy(() -> EdgeNode.start(config, source, literalResolver()))
                    .isInstanceOf(ClassifierTooLargeException.class)
                    .hasMessageContaining("6002 classifier rules would take at least")
                    .hasMessageContaining("over the limit of 1 MiB (--max-classifier-memory)");
            assertThat(ns.execResult(10, "ip", "link", "show", "thit1").exit()).as("no device was made").isNotZero();
            return null;
        });
    }

    private static void send(DatagramSocket from, String address, int port, int packets) throws Exception {
        byte[] payload = "hit".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < packets; i++) {
            from.send(new DatagramPacket(payload, payload.length, new InetSocketAddress(address, port)));
        }
    }

    private static void receive(DatagramSocket firstHop, int datagrams) throws Exception {
        for (int i = 0; i < datagrams; i++) {
            firstHop.receive(new DatagramPacket(new byte[2048], 2048));
        }
    }

    private static String scrape(EdgeMetrics metrics, PrometheusMeterRegistry registry) {
        metrics.refresh();
        return registry.scrape();
    }

    /** The value of the one series of {@code name} whose labels contain {@code labels}. */
    private static long value(String text, String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{([^}]*)\\} (\\S+)$").matcher(text);
        while (m.find()) {
            if (m.group(1).contains(labels)) {
                return (long) Double.parseDouble(m.group(2));
            }
        }
        throw new AssertionError("no " + name + "{" + labels + "} in\n" + text);
    }
}
