package io.astaire.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.model.NodeReport;
import io.astaire.model.TopologyCodec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A controller started read-only (the operator mode's: its registries mirror another store)
 * serves each ServiceChain's topology at {@code /servicechains/<name>/api/v1}, each with its own
 * node reports, readiness and meters, and refuses every configuration write with 405 and the
 * reason it was given, whatever token the writer holds.
 */
class ReadOnlyServerTest {
    private final NodeSecret secret = NodeSecret.random();
    private final ControllerServer server = ControllerServer.startReadOnly(secret, NodeRegistry.Limits.DEFAULT,
            "127.0.0.1", 0, "write the chain elsewhere");

    @AfterEach
    void stop() {
        server.close();
    }

    private Registry served(String name, String function, int port) {
        Registry registry = new Registry(new MemoryTopologyStore(name));
        registry.apply(ApplyDocument.parse("""
                functions: [{name: %s, kind: counter, address: "127.0.0.1:%d"}]
                chains: [{name: %s, functions: [%s]}]
                egress: {address: "127.0.0.1:4794"}
                ingress: {address: "127.0.0.1:4790"}
                """.formatted(function, port, name, function)), true, false, null);
        server.serve(name, registry);
        return registry;
    }

    private Http node(String name) {
        String token = secret.tokenFor(name);
        return new Http(server.localUri(), token.substring(token.indexOf(':') + 1));
    }

    @Test
    void servesReadsAndReportsAndRefusesWrites() {
        Registry registry = served("web", "count", 4792);
        Http api = new Http(server.localUri(), "any-token-at-all");
        assertThat(api.get("/servicechains/web/api/v1/topology").json().get("chains").findValuesAsText("name")).containsExactly("web");

        for (Http.Response write : List.of(api.post("/servicechains/web/api/v1/apply", "functions: []"),
                api.put("/servicechains/web/api/v1/topology", "functions: []"), api.delete("/servicechains/web/api/v1/chains/web"),
                api.post("/servicechains/web/api/v1/functions", "{\"name\":\"x\",\"kind\":\"counter\",\"address\":\"a:1\"}"),
                api.post("/api/v1/apply", "functions: []"))) {
            assertThat(write.status()).as(write.body()).isEqualTo(405);
            assertThat(write.json().get("message").asText()).isEqualTo("write the chain elsewhere");
            assertThat(write.header("Allow")).isEqualTo("GET, HEAD");
        }
        assertThat(registry.state().topology().chain("web")).isNotNull();

        Http.Response report = node("count-0").post("/servicechains/web/api/v1/nodes/count-0/status",
                TopologyCodec.toJson(new NodeReport("sf", List.of("count"), registry.state().version(), Map.of())));
        assertThat(report.status()).as(report.body()).isEqualTo(200);
        assertThat(api.get("/servicechains/web/api/v1/nodes/count-0").json().get("role").asText()).isEqualTo("sf");
    }

    @Test
    void eachServiceChainHasItsOwnTopologyNodesAndMeters() {
        Registry web = served("web", "acl", 4791);
        served("api", "nat", 4793);
        Http api = new Http(server.localUri(), null);

        assertThat(api.get("/servicechains/web/api/v1/topology").json().get("functions").findValuesAsText("name")).containsExactly("acl");
        assertThat(api.get("/servicechains/api/api/v1/topology").json().get("functions").findValuesAsText("name")).containsExactly("nat");
        assertThat(api.get("/servicechains").json().findValuesAsText("name")).containsExactly("api", "web");
        assertThat(api.get("/servicechains").json().findValuesAsText("api")).contains("/servicechains/web/api/v1");

        Http.Response report = node("acl-0").post("/servicechains/web/api/v1/nodes/acl-0/status",
                TopologyCodec.toJson(new NodeReport("sf", List.of("acl"), web.state().version(), Map.of())));
        assertThat(report.status()).as(report.body()).isEqualTo(200);
        assertThat(api.get("/servicechains/web/api/v1/nodes").json().findValuesAsText("name")).containsExactly("acl-0");
        assertThat(api.get("/servicechains/api/api/v1/nodes").json().findValuesAsText("name")).isEmpty();
        assertThat(api.get("/servicechains/api/api/v1/nodes/acl-0").status()).isEqualTo(404);

        String metrics = api.get("/metrics").body();
        assertThat(metrics).contains("astaire_controller_topology_version{servicechain=\"web\"}")
                .contains("astaire_controller_topology_version{servicechain=\"api\"}")
                .contains("astaire_controller_nodes{servicechain=\"web\",state=\"fresh\"} 1.0")
                .contains("astaire_controller_nodes{servicechain=\"api\",state=\"fresh\"} 0.0");

        // A name that is not served, and the root that belongs to none, say what is served.
        Http.Response unknown = api.get("/servicechains/shop/api/v1/topology");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("message").asText()).contains("no ServiceChain named 'shop'").contains("api, web");
        // Each chain's web view is its own page (it reads the API of the path it is served at).
        Http.Response page = api.get("/servicechains/web/ui");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("/ui/app.js");
        assertThat(api.get("/servicechains/shop/ui").status()).isEqualTo(404);
        assertThat(api.get("/ui").status()).isEqualTo(404);
        Http.Response root = api.get("/api/v1/topology");
        assertThat(root.status()).isEqualTo(404);
        assertThat(root.json().get("message").asText()).contains("/servicechains/<name>/api/v1");
    }

    @Test
    void aServiceChainNoLongerServedAnswersItsParkedWatchersAndThenIsNotFound() throws Exception {
        Registry web = served("web", "acl", 4791);
        Http api = new Http(server.localUri(), null);
        long version = web.state().version();
        int listening = web.watch().next().getNumberOfDependents(); // the readiness tracker's own
        CompletableFuture<Http.Response> parked = CompletableFuture.supplyAsync(
                () -> api.get("/servicechains/web/api/v1/topology?after=" + version + "&timeout=20s"));
        // The watch parks for up to 20 s; it is answered when the chain goes, long before that.
        await().atMost(Duration.ofSeconds(10)).until(() -> web.watch().next().getNumberOfDependents() > listening);
        long before = System.nanoTime();
        assertThat(server.unserve("web")).isTrue();
        Http.Response answered = parked.get(10, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(10));
        assertThat(answered.header("Connection")).isEqualTo("close");

        assertThat(api.get("/servicechains/web/api/v1/topology").status()).isEqualTo(404);
        assertThat(api.get("/metrics").body()).doesNotContain("servicechain=\"web\"");
        assertThat(server.unserve("web")).isFalse();
        // Served again under the same name (a ServiceChain deleted and created again): a fresh registry.
        served("web", "nat", 4793);
        assertThat(api.get("/servicechains/web/api/v1/topology").json().get("functions").findValuesAsText("name")).containsExactly("nat");
    }
}
