package io.astaire.systest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The name extraction the dashboard check relies on ({@link ControllerDrivenChainTest} holds the
 * names against real nodes' /metrics): if it found nothing, that check could never fail.
 */
class GrafanaDashboardTest {

    @Test
    void findsTheMetricsOfAQueryAndNothingElse() {
        assertThat(GrafanaDashboard.metricNames(
                "histogram_quantile(0.99, sum by (instance, le) (rate(astaire_sf_hop_latency_seconds_bucket{instance=~\"$instance\"}[$__rate_interval])))"))
                .containsExactly("astaire_sf_hop_latency_seconds_bucket");
        assertThat(GrafanaDashboard.metricNames("time() - astaire_controller_last_sync_timestamp_seconds{instance=~\"a|b\"} > 30"))
                .containsExactly("astaire_controller_last_sync_timestamp_seconds");
        assertThat(GrafanaDashboard.metricNames("sum(rate(a_total[5m])) / on (instance) group_left b_info and bool c"))
                .containsExactly("a_total", "b_info", "c");
        assertThat(GrafanaDashboard.metricNames("label_values(astaire_build_info, instance)")).containsExactly("astaire_build_info");
    }

    @Test
    void theChainDashboardReadsTheMetricsAnOperatorLooksAtFirst() throws Exception {
        assertThat(GrafanaDashboard.metricNames(GrafanaDashboard.CHAIN)).contains(
                "astaire_edge_dropped_packets_total", "astaire_sf_dropped_packets_total", "astaire_sf_hop_latency_seconds_bucket",
                "astaire_controller_connected", "astaire_controller_last_sync_timestamp_seconds", "astaire_build_info",
                "jvm_gc_pause_seconds_sum", "jvm_memory_used_bytes", "process_uptime_seconds", "process_files_open_files");
    }

    @Test
    void theDataSourceVariableIsNotAQuery() throws Exception {
        assertThat(GrafanaDashboard.queries(GrafanaDashboard.CHAIN)).doesNotContain("prometheus")
                .contains("label_values(astaire_build_info, instance)");
    }

    @Test
    void exportedNamesAreTheSampleNames() {
        assertThat(GrafanaDashboard.exported("""
                # HELP x_total a thing
                # TYPE x_total counter
                x_total{a="1"} 2.0
                h_bucket{le="+Inf"} 1
                h_sum 0.5
                """)).containsExactly("h_bucket", "h_sum", "x_total");
    }
}
