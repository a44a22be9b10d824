package io.astaire.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.dataplane.config.ControllerTopologySource;
import io.astaire.dataplane.config.TopologySource.Versioned;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Make-before-break at the controller: a real controller, and node reports sent over HTTP as the
 * nodes send them (the real API, the nodes themselves are not needed to say which version they run).
 */
class PathReadinessTest {
    @TempDir
    Path dir;

    private static final String TOPOLOGY = """
            {"functions": [
               {"name": "a", "kind": "counter", "address": "127.0.0.1:5001"},
               {"name": "b", "kind": "counter", "address": "127.0.0.1:5002"},
               {"name": "c", "kind": "counter", "address": "127.0.0.1:5003"}],
             "chains": [{"name": "web", "spi": 10, "symmetric": false, "functions": ["a", "b"]}],
             "rules": [{"name": "r", "protocol": "udp", "chain": "web"}],
             "ingress": {"address": "127.0.0.1:4790"},
             "egress": {"address": "127.0.0.1:4794"}}
            """;

    /** A status report as node {@code name} sends it, with its own node token. */
    private static void report(RunningController controller, Http api, String name, String role, String functions, long version) {
        Http.Response r = api.token(controller.nodeToken(name)).post("/api/v1/nodes/" + name + "/status",
                "{\"role\":\"" + role + "\",\"functions\":[" + functions + "],\"appliedVersion\":" + version + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    private static long version(Http api) {
        return Long.parseLong(api.get("/api/v1/topology").header("X-Astaire-Version"));
    }

    private static Http.Response readiness(Http api) {
        return api.get("/api/v1/topology/readiness");
    }

    private static void allReport(RunningController controller, Http api, long version) {
        report(controller, api, "sf-a", "sf", "\"a\"", version);
        report(controller, api, "sf-b", "sf", "\"b\"", version);
        report(controller, api, "sf-c", "sf", "\"c\"", version);
        report(controller, api, "egress-0", "egress", "", version);
    }

    @Test
    void aChangedPathIsReadyOnlyWhenEveryNodeOnItAndTheEgressReportedIt() {
        try (RunningController controller = new RunningController(dir.resolve("astaire.db"))) {
            Http api = new Http(controller.uri(), RunningController.TOKEN);
            api.post("/api/v1/apply", TOPOLOGY);
            long v1 = version(api);
            allReport(controller, api, v1);
            await().atMost(Duration.ofSeconds(5)).until(() -> readiness(api).json().path("ready").asBoolean());
            assertThat(api.get("/api/v1/topology").header(ControllerTopologySource.READY_VERSION_HEADER)).isEqualTo("" + v1);

            // insert c: path 10 gets a new generation at v2
            api.put("/api/v1/chains/web", "{\"name\":\"web\",\"spi\":10,\"symmetric\":false,\"functions\":[\"a\",\"c\",\"b\"]}");
            long v2 = version(api);
            CompletableFuture<Http.Response> readyPoll = CompletableFuture.supplyAsync(
                    () -> api.get("/api/v1/topology?after=" + v1 + "&ready=true&timeout=20s"));
            Http.Response pending = readiness(api);
            assertThat(pending.json().path("ready").asBoolean()).isFalse();
            assertThat(pending.json().path("readyVersion").asLong()).isEqualTo(v1);
            assertThat(pending.json().path("waitingFor").toString()).contains("sf-a", "sf-b", "sf-c", "egress-0");

            report(controller, api, "sf-a", "sf", "\"a\"", v2);
            report(controller, api, "sf-c", "sf", "\"c\"", v2);
            report(controller, api, "egress-0", "egress", "", v2);
            assertThat(readiness(api).json().path("waitingFor").toString()).contains("sf-b").doesNotContain("sf-a", "sf-c", "egress");
            assertThat(readyPoll).as("the ready long poll waits for the last hop").isNotDone();
            report(controller, api, "sf-b", "sf", "\"b\"", v2);

            Http.Response answered = readyPoll.join();
            assertThat(answered.status()).isEqualTo(200);
            assertThat(answered.header("X-Astaire-Version")).isEqualTo("" + v2);
            assertThat(answered.header(ControllerTopologySource.READY_VERSION_HEADER)).isEqualTo("" + v2);
            assertThat(readiness(api).json().path("ready").asBoolean()).isTrue();
        }
    }

    @Test
    void aChangeThatKeepsEveryPathIsReadyAtOnce() {
        try (RunningController controller = new RunningController(dir.resolve("astaire.db"))) {
            Http api = new Http(controller.uri(), RunningController.TOKEN);
            api.post("/api/v1/apply", TOPOLOGY);
            long v1 = version(api);
            allReport(controller, api, v1);
            await().atMost(Duration.ofSeconds(5)).until(() -> readiness(api).json().path("ready").asBoolean());
            // a rule and a function's config: no path's generation moves, the nodes at v1 already carry v2's paths
            api.put("/api/v1/rules/r", "{\"name\":\"r\",\"protocol\":\"tcp\",\"chain\":\"web\"}");
            api.put("/api/v1/functions/b", "{\"name\":\"b\",\"kind\":\"passthrough\",\"address\":\"127.0.0.1:5002\",\"replicas\":3}");
            long v3 = version(api);
            await().atMost(Duration.ofSeconds(2)).until(() -> readiness(api).json().path("readyVersion").asLong() == v3);
        }
    }

    @Test
    void aNodeThatNeverReportsHoldsTheSwitchOnlyUntilTheTimeout() {
        try (RunningController controller = new RunningController(dir.resolve("astaire.db"))) {
            controller.server().readiness().switchTimeout(Duration.ofMillis(800));
            Http api = new Http(controller.uri(), RunningController.TOKEN);
            api.post("/api/v1/apply", TOPOLOGY);
            long v1 = version(api);
            allReport(controller, api, v1);
            await().atMost(Duration.ofSeconds(5)).until(() -> readiness(api).json().path("ready").asBoolean());

            api.put("/api/v1/chains/web", "{\"name\":\"web\",\"spi\":10,\"symmetric\":false,\"functions\":[\"b\",\"a\"]}");
            long v2 = version(api);
            long start = System.nanoTime();
            report(controller, api, "sf-a", "sf", "\"a\"", v2);
            report(controller, api, "egress-0", "egress", "", v2); // sf-b stays at v1: down, or refusing v2
            Http.Response r = readiness(api);
            assertThat(r.json().path("ready").asBoolean()).isFalse();
            assertThat(r.json().path("switchesInMillis").asLong()).isBetween(1L, 800L);
            Http.Response answered = api.get("/api/v1/topology?after=" + v1 + "&ready=true&timeout=10s");
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(answered.header(ControllerTopologySource.READY_VERSION_HEADER)).isEqualTo("" + v2);
            // Measured from the first report after the write, so the bound below is what must hold.
            assertThat(waitedMs).as("switched on the timeout, not before").isGreaterThanOrEqualTo(700);
        }
    }

    @Test
    void aStaleNodeIsNotWaitedForWhileAnotherRunsTheFunction() {
        try (RunningController controller = new RunningController(dir.resolve("astaire.db"))) {
            controller.server().readiness().switchTimeout(Duration.ofSeconds(30)).liveness(Duration.ofMillis(500));
            Http api = new Http(controller.uri(), RunningController.TOKEN);
            api.post("/api/v1/apply", TOPOLOGY);
            long v1 = version(api);
            report(controller, api, "sf-b-old", "sf", "\"b\"", v1); // then it dies
            api.put("/api/v1/chains/web", "{\"name\":\"web\",\"spi\":10,\"symmetric\":false,\"functions\":[\"b\"]}");
            long v2 = version(api);
            report(controller, api, "sf-b-new", "sf", "\"b\"", v2);
            assertThat(readiness(api).json().path("waitingFor").toString()).contains("sf-b-old");
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
                report(controller, api, "sf-b-new", "sf", "\"b\"", v2); // reports keep coming from the live one
                return readiness(api).json().path("readyVersion").asLong() == v2;
            });
        }
    }

    @Test
    void anEdgeOriginatesByTheReadyVersionWhileANodeTakesTheNewestAtOnce() throws Exception {
        try (RunningController controller = new RunningController(dir.resolve("astaire.db"))) {
            Http api = new Http(controller.uri(), RunningController.TOKEN);
            api.post("/api/v1/apply", TOPOLOGY);
            long v1 = version(api);
            allReport(controller, api, v1);
            await().atMost(Duration.ofSeconds(5)).until(() -> readiness(api).json().path("ready").asBoolean());

            try (ControllerTopologySource edge = ControllerTopologySource.forEdge(controller.uri());
                 ControllerTopologySource node = new ControllerTopologySource(controller.uri(), Duration.ofSeconds(10), Duration.ofSeconds(5))) {
                assertThat(edge.current().originVersion()).isEqualTo(v1);
                assertThat(node.current().version()).isEqualTo(v1);
                BlockingQueue<Versioned> edgeSaw = new LinkedBlockingQueue<>();
                BlockingQueue<Versioned> nodeSaw = new LinkedBlockingQueue<>();
                edge.subscribe(edgeSaw::add);
                node.subscribe(nodeSaw::add);

                api.put("/api/v1/chains/web", "{\"name\":\"web\",\"spi\":10,\"symmetric\":false,\"functions\":[\"a\",\"c\",\"b\"]}");
                long v2 = version(api);
                Versioned nodeV2 = nodeSaw.poll(5, TimeUnit.SECONDS);
                assertThat(nodeV2.version()).isEqualTo(v2);
                assertThat(nodeV2.originPending()).isFalse();
                Versioned edgeV2 = edgeSaw.poll(5, TimeUnit.SECONDS);
                assertThat(edgeV2.version()).as("the edge terminates v2's paths at once").isEqualTo(v2);
                assertThat(edgeV2.originVersion()).as("but sends by v1 while the nodes have not reported v2").isEqualTo(v1);
                assertThat(edgeV2.origin().chain("web").functions()).containsExactly("a", "b");
                assertThat(edgeV2.topology().chain("web").functions()).containsExactly("a", "c", "b");

                allReport(controller, api, v2);
                Versioned switched = edgeSaw.poll(5, TimeUnit.SECONDS);
                assertThat(switched).as("told once every hop reported").isNotNull();
                assertThat(switched.version()).isEqualTo(v2);
                assertThat(switched.originVersion()).isEqualTo(v2);
                assertThat(switched.origin().chain("web").functions()).containsExactly("a", "c", "b");
                assertThat(nodeSaw.poll(300, TimeUnit.MILLISECONDS)).as("a node is not told again").isNull();
            }
        }
    }
}
