package io.astaire.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading hops from Prometheus text as the nodes expose it, and the table built from two scrapes. */
class HopTableTest {
    static final String SF = """
            # HELP astaire_sf_packets_received_total Packets received on a service path
            # TYPE astaire_sf_packets_received_total counter
            astaire_sf_packets_received_total{spi="10"} 1200.0
            astaire_sf_packets_received_total{spi="100"} 99.0
            astaire_sf_packets_received_total{spi="8388618"} 3400.0
            astaire_sf_bytes_received_total 5000000.0
            astaire_sf_dropped_packets_total{detail="",reason="ttl_expired"} 0.0
            astaire_sf_dropped_packets_total{detail="acl",reason="function_verdict"} 7.0
            astaire_sf_dropped_packets_total{detail="bad_version",reason="malformed"} 2.0 1700000000000
            """;
    static final String INGRESS = """
            astaire_edge_path_sent_packets_total{role="ingress",spi="10"} 1300.0
            astaire_edge_path_delivered_packets_total{role="ingress",spi="8388618"} 3300.0
            astaire_edge_sent_bytes_total{role="ingress"} 100000.0
            astaire_edge_tun_written_bytes_total{role="ingress"} 4000000.0
            astaire_edge_dropped_packets_total{reason="no_match",role="ingress"} 4.0
            astaire_edge_dropped_packets_total{reason="no_route",role="ingress"} 0.0
            """;

    @Test
    void readsAFunctionNodeByPathWithDropsByReasonAndDetail() {
        Hop acl = Hop.all().get(1);
        Hop.Sample s = acl.read(PromSamples.parse(SF), 0);
        assertThat(acl.label()).isEqualTo("acl");
        assertThat(s.forward()).as("spi=\"10\" must not also match spi=\"100\"").isEqualTo(1200);
        assertThat(s.reverse()).isEqualTo(3400);
        assertThat(s.bytes()).isEqualTo(5_000_000);
        assertThat(s.drops()).isEqualTo(9);
        assertThat(s.dropReasons()).containsExactly(
                java.util.Map.entry("function_verdict/acl", 7L), java.util.Map.entry("malformed/bad_version", 2L));
        assertThat(s.carriedBothWays()).isTrue();
    }

    @Test
    void readsTheIngressAndRendersRatesBetweenTwoScrapes() {
        Hop ingress = Hop.all().getFirst();
        Hop.Sample before = ingress.read(PromSamples.parse(INGRESS.replace("1300.0", "300.0")), 0);
        Hop.Sample now = ingress.read(PromSamples.parse(INGRESS), 2_000_000_000L);
        assertThat(now.forward()).isEqualTo(1300);
        assertThat(now.reverse()).isEqualTo(3300);
        assertThat(now.bytes()).isEqualTo(4_100_000);
        String table = HopTable.render(List.of(now), List.of(before));
        assertThat(table).contains("HOP").contains("ingress").contains(" 500 ").contains("4.1 MB")
                .contains("drops: ingress no_match=4");
        assertThat(HopTable.render(List.of(Hop.Sample.down(ingress, 0)), null)).contains("not answering");
        assertThat(table.lines()).allMatch(l -> l.length() <= 100);
    }

    @Test
    void anEmptyOrGarbledScrapeCountsNothing() {
        Hop.Sample s = Hop.all().get(2).read(PromSamples.parse("garbage\n{}\nastaire_sf_bytes_received_total x\n"), 0);
        assertThat(s.forward()).isZero();
        assertThat(s.carriedBothWays()).isFalse();
        assertThat(HopTable.bytes(999)).isEqualTo("999 B");
        assertThat(HopTable.bytes(1_234_567)).isEqualTo("1.2 MB");
    }
}
