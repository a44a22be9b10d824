package io.astaire.dataplane.oam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** How a trace's reports become its result (path order, outcome, message), and how a request becomes a plan. */
class TraceAnalysisTest {

    static final Topology TOPOLOGY = TopologyCodec.parse("""
            functions:
              - {name: acl, kind: acl, address: 10.99.0.11:4790}
              - {name: count, kind: counter, address: 10.99.0.12:4790}
            chains:
              - {name: web, spi: 10, functions: [acl, count]}
              - {name: other, spi: 11, symmetric: false, functions: [count]}
            rules:
              - {name: from-clients, priority: 100, protocol: tcp, source: 10.1.0.0/24, destination: 10.2.0.0/24, chain: web}
              - {name: anything, priority: 10, destination: 10.2.0.0/24, chain: web}
              - {name: udp, priority: 50, protocol: udp, destination: 10.3.0.0/24, chain: other}
            ingress: {address: 10.99.0.1:4790}
            egress: {address: 10.99.0.2:4790}
            """);
    static final InetSocketAddress INGRESS = new InetSocketAddress("10.99.0.1", 4790);

    private static TracePlan plan() {
        return TracePlan.of(TOPOLOGY, "web", "10.2.0.2", "10.1.0.2", "icmp", null, null);
    }

    private static TraceHop hop(String direction, String role, String function, Integer siIn, Integer siOut, String verdict,
                                String reason, String detail, String next, long at) {
        return new TraceHop(direction, null, role, function == null ? List.of() : List.of(function), "10.99.0." + at + ":4790",
                direction.equals("forward") ? 10 : 0x80000A, siIn, siOut, siIn == null ? null : 63 - (255 - siIn),
                siOut == null ? null : 63 - (255 - siOut), verdict, reason, "dropped".equals(verdict) && function != null ? function : null,
                detail, next, 1_000_000 + at, null);
    }

    private static List<TraceHop> wholePath() {
        return List.of(
                hop("forward", "ingress", null, null, 255, "classified", null, "rule anything", "10.99.0.11:4790", 1),
                hop("forward", "sf", "acl", 255, 254, "forwarded", null, "default allow", "10.99.0.12:4790", 2),
                hop("forward", "sf", "count", 254, 253, "forwarded", null, null, "10.99.0.2:4790", 3),
                hop("forward", "egress", null, 253, null, "arrived", null, "not delivered", "10.99.0.12:4790", 4),
                hop("reverse", "egress", null, null, 255, "classified", null, "rule anything", "10.99.0.12:4790", 4),
                hop("reverse", "sf", "count", 255, 254, "forwarded", null, null, "10.99.0.11:4790", 5),
                hop("reverse", "sf", "acl", 254, 253, "forwarded", null, null, "10.99.0.1:4790", 6),
                hop("reverse", "ingress", null, 253, null, "arrived", null, "not delivered", null, 7));
    }

    @Test
    void reportsInAnyOrderComeOutInPathOrderWithTheirTimes() {
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            List<TraceHop> shuffled = new ArrayList<>(wholePath());
            Collections.shuffle(shuffled, random);
            TraceResult r = TraceAnalysis.result("ab", plan(), shuffled, INGRESS, Duration.ofSeconds(2));
            assertThat(r.hops()).extracting(TraceHop::label)
                    .containsExactly("ingress", "acl", "count", "egress", "egress", "count", "acl", "ingress");
            assertThat(r.hops()).extracting(TraceHop::elapsedMicros).containsExactly(0L, 1L, 2L, 3L, 3L, 4L, 5L, 6L);
            assertThat(r.outcome()).isEqualTo(TraceResult.ARRIVED);
            assertThat(r.message()).isEqualTo("arrived at the egress and back at the ingress: 4 hops forward, 4 back, 0.006 ms");
        }
    }

    @Test
    void theJourneyIsOverWhenDroppedOrArrivedWhereNothingFollows() {
        List<TraceHop> all = wholePath();
        assertThat(TraceAnalysis.complete(all.subList(0, 3))).isFalse();
        assertThat(TraceAnalysis.complete(all.subList(0, 4))).as("the egress sent it back: wait for the reverse leg").isFalse();
        assertThat(TraceAnalysis.complete(all)).isTrue();
        assertThat(TraceAnalysis.complete(List.of(hop("forward", "egress", null, 253, null, "arrived", null, null, null, 4)))).isTrue();
        assertThat(TraceAnalysis.complete(List.of(hop("forward", "sf", "acl", 255, null, "dropped", "function_verdict", null, null, 2))))
                .isTrue();
    }

    @Test
    void aDropNamesTheHopTheReasonAndWhatDecided() {
        List<TraceHop> hops = List.of(wholePath().get(0),
                hop("forward", "sf", "acl", 255, null, "dropped", "function_verdict", "rule deny-telnet", null, 2));
        TraceResult r = TraceAnalysis.result("ab", plan(), hops, INGRESS, Duration.ofSeconds(2));
        assertThat(r.outcome()).isEqualTo(TraceResult.DROPPED);
        assertThat(r.message()).isEqualTo("dropped at acl: function_verdict (rule deny-telnet)");

        List<TraceHop> back = new ArrayList<>(wholePath().subList(0, 6));
        back.add(hop("reverse", "sf", "acl", 254, null, "dropped", "no_next_hop", null, null, 6));
        assertThat(TraceAnalysis.result("ab", plan(), back, INGRESS, Duration.ofSeconds(2)).message())
                .isEqualTo("dropped at acl on the reverse path: no_next_hop");
    }

    @Test
    void noMatchAndLostSayWhereAndWhy() {
        TraceResult none = TraceAnalysis.result("ab", plan(), List.of(
                hop("forward", "ingress", null, null, null, "dropped", "no_match", "no rule matches udp 10.1.0.2:5 -> 10.9.0.1:53", null, 1)),
                INGRESS, Duration.ofSeconds(2));
        assertThat(none.outcome()).isEqualTo(TraceResult.NO_MATCH);
        assertThat(none.message()).isEqualTo("no rule matched at the ingress: no rule matches udp 10.1.0.2:5 -> 10.9.0.1:53");

        TraceResult lost = TraceAnalysis.result("ab", plan(), wholePath().subList(0, 2), INGRESS, Duration.ofSeconds(2));
        assertThat(lost.outcome()).isEqualTo(TraceResult.LOST);
        assertThat(lost.message()).startsWith("lost after acl (10.99.0.2:4790): sent it to 10.99.0.12:4790 and no report came "
                + "from the next hop within 2000 ms");

        TraceResult silent = TraceAnalysis.result("ab", plan(), List.of(), INGRESS, Duration.ofMillis(500));
        assertThat(silent.outcome()).isEqualTo(TraceResult.LOST);
        assertThat(silent.message()).startsWith("no node reported within 500 ms: the ingress at 10.99.0.1:4790 did not answer");
    }

    @Test
    void aProbeClassifiedOntoAnotherChainIsRemarkedOn() {
        List<TraceHop> hops = new ArrayList<>(wholePath());
        TraceHop first = hops.getFirst();
        hops.set(0, new TraceHop(first.direction(), null, first.role(), first.functions(), first.address(), 11, null, 255, null, 63,
                "classified", null, null, "rule udp", first.next(), first.atMicros(), null));
        assertThat(TraceAnalysis.result("ab", plan(), hops, INGRESS, Duration.ofSeconds(2)).message())
                .endsWith("; note: the classifier put the probe on SPI 11, not chain web's SPI 10");
    }

    @Test
    void aPlanFillsInWhatTheOperatorLeftOut() {
        TracePlan icmp = TracePlan.of(TOPOLOGY, "web", "10.2.0.2", null, null, null, null);
        assertThat(icmp.flow()).isEqualTo(new TraceFlow("icmp", "192.0.2.1", null, "10.2.0.2", null)); // "anything" does not restrict the source
        assertThat(icmp.ingress().toString()).isEqualTo("10.99.0.1:4790");
        assertThat(icmp.expectedSpi()).isEqualTo(10);

        TracePlan tcp = TracePlan.of(TOPOLOGY, "web", "10.2.0.2", null, null, null, 80);
        assertThat(tcp.flow().protocol()).isEqualTo("tcp");
        assertThat(tcp.flow().source()).isEqualTo("10.1.0.1"); // the first host of the matching rule's source prefix
        assertThat(tcp.flow().sourcePort()).isBetween(49152, 65535);
        assertThat(TracePlan.of(TOPOLOGY, "web", "fd00:2::2", null, "icmp", null, null).flow())
                .isEqualTo(new TraceFlow("icmpv6", "2001:db8::1", null, "fd00:2::2", null));
        assertThat(TracePlan.of(TOPOLOGY, "web", "10.2.0.2", "10.1.0.9", "47", null, null).protocolNumber()).isEqualTo(47);
    }

    @Test
    void aPlanRefusesWhatCannotBeTracedNamingTheField() {
        assertRefused(() -> TracePlan.of(TOPOLOGY, "nope", "10.2.0.2", null, null, null, null), "chain",
                "no chain named 'nope' (have: web, other)");
        assertRefused(() -> TracePlan.of(TOPOLOGY, "web", null, null, null, null, null), "destination", "is required (an IPv4 or IPv6 address)");
        assertRefused(() -> TracePlan.of(TOPOLOGY, "web", "server.example", null, null, null, null), "destination",
                "'server.example' is not an IPv4 or IPv6 address");
        assertRefused(() -> TracePlan.of(TOPOLOGY, "web", "10.2.0.2", null, "udp", null, null), "destinationPort", "is required for udp");
        assertRefused(() -> TracePlan.of(TOPOLOGY, "web", "10.2.0.2", null, "icmp", null, 80), "destinationPort",
                "only TCP and UDP have ports, not icmp");
        assertRefused(() -> TracePlan.of(TOPOLOGY, "web", "10.2.0.2", null, "tcp", 0, 80), "sourcePort", "must be within 1-65535, was 0");
        assertRefused(() -> TracePlan.of(TOPOLOGY, "web", "10.2.0.2", "fd00::1", null, null, null), "source",
                "fd00::1 is not of the IP version of the destination 10.2.0.2");
        assertRefused(() -> TracePlan.of(TOPOLOGY, "web", "10.2.0.2", null, "any", null, null), "protocol",
                "a probe is one packet of one protocol, not 'any'");
        assertRefused(() -> TracePlan.of(TOPOLOGY, "web", "10.2.0.2", null, "bogus", null, null), "protocol",
                "'bogus' is not a protocol: a number 0-255 or one of any, tcp, udp, icmp, icmpv6, gre, esp, ah, sctp");
        assertRefused(() -> new TraceRequest("10.2.0.2", null, null, null, null, 50).timeout(), "timeoutMillis",
                "must be within 100-10000, was 50");
    }

    private static void assertRefused(Runnable r, String field, String problem) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(TracePlan.Refused.class, e -> {
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.problem()).isEqualTo(problem);
        });
    }
}
