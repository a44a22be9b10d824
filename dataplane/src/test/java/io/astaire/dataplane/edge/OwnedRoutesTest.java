package io.astaire.dataplane.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.dataplane.testing.NetNs;
import io.astaire.dataplane.tun.RouteControl;
import io.astaire.dataplane.tun.TunDevice;
import io.astaire.model.IpPrefix;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An edge's own routes on a real TUN device in a fresh network namespace, read back with
 * {@code ip route}: installed at start (v4 and v6, each with its unreachable fallback), put back
 * after someone deletes them, the TUN routes removed on close and the fallbacks kept.
 */
@Timeout(60)
class OwnedRoutesTest {
    private static final List<IpPrefix> PREFIXES = List.of(IpPrefix.parse("10.66.0.0/24"), IpPrefix.parse("10.67.0.9"),
            IpPrefix.parse("fd00:66::/64"));
    private NetNs ns;

    @BeforeEach
    void namespace() {
        ns = NetNs.createForTun("asroute", "owned-routes test");
    }

    @AfterEach
    void cleanup() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void installsRestoresAndOnCloseLeavesOnlyTheFailClosedRoutes() throws Exception {
        ns.call(() -> {
            try (TunDevice tun = TunDevice.openConfigured("tor0", 1, 1400, List.of(), false)) {
                OwnedRoutes routes = OwnedRoutes.install("ingress", tun.name(), PREFIXES).watch(Duration.ofMillis(200));
                try {
                    String v4 = ns.exec("ip", "route", "show");
                    String v6 = ns.exec("ip", "-6", "route", "show");
                    assertThat(v4).contains("10.66.0.0/24 dev tor0 scope link metric 10").contains("10.67.0.9 dev tor0 scope link metric 10")
                            .contains("unreachable 10.66.0.0/24 scope host metric 4000").contains("unreachable 10.67.0.9 scope host metric 4000");
                    assertThat(v6).contains("fd00:66::/64 dev tor0 metric 10").contains("unreachable fd00:66::/64")
                            .containsPattern("unreachable fd00:66::/64 dev lo metric 4000");
                    // Traffic goes to the TUN route, not the fallback.
                    assertThat(ns.exec("ip", "route", "get", "10.66.0.5")).contains("dev tor0");
                    assertThat(routes.restored()).isZero();

                    ns.exec("ip", "route", "del", "10.66.0.0/24", "dev", "tor0");
                    ns.exec("ip", "-6", "route", "del", "fd00:66::/64", "dev", "tor0");
                    ns.exec("ip", "route", "del", "unreachable", "10.67.0.9", "metric", "4000");
                    await().atMost(Duration.ofSeconds(10)).until(() -> routes.restored() >= 3);
                    assertThat(ns.exec("ip", "route", "show")).contains("10.66.0.0/24 dev tor0 scope link metric 10")
                            .contains("unreachable 10.67.0.9 scope host metric 4000");
                    assertThat(ns.exec("ip", "-6", "route", "show")).contains("fd00:66::/64 dev tor0 metric 10");
                    assertThat(routes.restored()).isEqualTo(3);
                    assertThat(routes.restoreFailures()).isZero();
                } finally {
                    routes.close();
                }
                String after = ns.exec("ip", "route", "show") + ns.exec("ip", "-6", "route", "show");
                assertThat(after).doesNotContain("dev tor0 scope link metric 10", "dev tor0 metric 10").contains("unreachable 10.66.0.0/24 scope host metric 4000")
                        .contains("unreachable fd00:66::/64");
                // While the edge is down the steered traffic is refused, not sent around the chain.
                assertThat(ns.execResult(10, "ip", "route", "get", "10.66.0.5").output()).contains("No route to host");
                return null;
            }
        });
    }

    @Test
    void startingAgainOverTheLeftFallbacksIsFineAndExistsMatchesExactly() throws Exception {
        ns.call(() -> {
            try (TunDevice tun = TunDevice.openConfigured("tos0", 1, 1400, List.of(), false)) {
                OwnedRoutes.install("egress", tun.name(), PREFIXES).close();
                try (OwnedRoutes again = OwnedRoutes.install("egress", tun.name(), PREFIXES)) {
                    assertThat(ns.exec("ip", "route", "show")).contains("10.66.0.0/24 dev tos0 scope link metric 10");
                    assertThat(again.prefixes()).containsExactlyElementsOf(PREFIXES);
                }
                assertThat(RouteControl.exists(RouteControl.Spec.into(IpPrefix.parse("10.66.0.0/24"), "tos0", OwnedRoutes.TUN_METRIC))).isFalse();
                assertThat(RouteControl.exists(RouteControl.Spec.unreachable(IpPrefix.parse("10.66.0.0/24"), OwnedRoutes.FAIL_CLOSED_METRIC))).isTrue();
                assertThat(RouteControl.exists(RouteControl.Spec.unreachable(IpPrefix.parse("10.66.0.0/25"), OwnedRoutes.FAIL_CLOSED_METRIC))).isFalse();
                return null;
            }
        });
    }
}
