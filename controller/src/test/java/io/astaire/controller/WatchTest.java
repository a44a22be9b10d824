package io.astaire.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.dataplane.config.ControllerTopologySource;
import io.astaire.dataplane.config.NodeStatusReporter;
import io.astaire.dataplane.config.TopologySource.Versioned;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config distribution end to end: the data plane's watch client against the real controller. */
class WatchTest {
    @TempDir
    Path dir;

    @Test
    void aNodeSeesEveryWriteAndKeepsItsLastGoodVersionWhileTheControllerIsDown() throws Exception {
        try (RunningController controller = new RunningController(dir.resolve("astaire.db"))) {
            Http api = new Http(controller.uri(), RunningController.TOKEN);
            api.post("/api/v1/apply", Files.readString(ControllerApiTest.exampleChain()));
            long v1 = Long.parseLong(api.get("/api/v1/topology").header("X-Astaire-Version"));

            try (ControllerTopologySource source = new ControllerTopologySource(controller.uri(), Duration.ofSeconds(10), Duration.ofSeconds(2))) {
                Versioned first = source.current();
                assertThat(first.version()).isEqualTo(v1);
                assertThat(first.topology().chain("web").spi()).isEqualTo(10);

                BlockingQueue<Versioned> seen = new LinkedBlockingQueue<>();
                source.subscribe(seen::add);
                api.post("/api/v1/functions", ControllerApiTest.fn("extra", 4799));
                Versioned second = seen.poll(1, TimeUnit.SECONDS);
                assertThat(second).as("a write reaches the node within a second").isNotNull();
                assertThat(second.version()).isEqualTo(v1 + 1);
                assertThat(second.topology().function("extra")).isNotNull();

                controller.stop();
                Thread.sleep(1500); // long enough for a poll or two to fail
                assertThat(source.current()).as("the last good version while the controller is down").isSameAs(second);
                assertThat(seen).isEmpty();

                controller.start();
                api.delete("/api/v1/functions/extra");
                Versioned third = seen.poll(15, TimeUnit.SECONDS);
                assertThat(third).as("picked up again after the restart").isNotNull();
                assertThat(third.version()).isEqualTo(v1 + 2);
                assertThat(third.topology().function("extra")).isNull();
                assertThat(source.current()).isSameAs(third);
            }
        }
    }

    @Test
    void aWatchWithoutChangesAnswers304AfterItsTimeout() {
        try (RunningController controller = new RunningController(dir.resolve("astaire.db"))) {
            Http api = new Http(controller.uri(), null);
            Http.Response r = api.get("/api/v1/topology?after=0&timeout=300ms");
            assertThat(r.status()).isEqualTo(304);
            assertThat(r.header("X-Astaire-Version")).isEqualTo("0");
            // A caller whose version differs (here: from the future, after a restore) is answered at once.
            assertThat(api.get("/api/v1/topology?after=99&timeout=20s").status()).isEqualTo(200);
        }
    }

    @Test
    void nodeStatusReporterShowsUpInTheNodeList() {
        try (RunningController controller = new RunningController(dir.resolve("astaire.db"))) {
            AtomicLong packets = new AtomicLong(5);
            try (NodeStatusReporter reporter = new NodeStatusReporter(controller.uri(), "sf-acl-0",
                    controller.nodeSecret.value(), "sf", List.of("acl"),
                    () -> 4, () -> Map.of("acl.packets", packets.get()), Duration.ofMillis(100))) {
                Http api = new Http(controller.uri(), null);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(api.get("/api/v1/nodes/sf-acl-0").status()).isEqualTo(200));
                packets.set(77);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(api.get("/api/v1/nodes/sf-acl-0").json().get("counters").get("acl.packets").asLong()).isEqualTo(77));
                var node = api.get("/api/v1/nodes").json().get(0);
                assertThat(node.get("role").asText()).isEqualTo("sf");
                assertThat(node.get("appliedVersion").asLong()).isEqualTo(4);
                assertThat(node.get("functions").get(0).asText()).isEqualTo("acl");
                assertThat(reporter.reportsAccepted()).isPositive();
            }
        }
    }

    @Test
    void aNodeLogsTheControllerReachableAgainWithinOneWatchCycleNotAfterAWholePoll() throws Exception {
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ControllerTopologySource.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines = new ch.qos.logback.core.read.ListAppender<>();
        lines.start();
        log.addAppender(lines);
        Duration poll = Duration.ofSeconds(20);
        try (RunningController controller = new RunningController(dir.resolve("astaire.db"));
             ControllerTopologySource source = new ControllerTopologySource(controller.uri(), Duration.ofSeconds(10), poll)) {
            source.current();
            controller.stop();
            await().atMost(Duration.ofSeconds(10)).until(() -> lines.list.stream().anyMatch(e -> e.getFormattedMessage().contains("retrying")));
            Thread.sleep(6_000); // the backoff reaches its 5 s ceiling: the slowest case for the next attempt
            long restarted = System.nanoTime();
            controller.start();
            await().atMost(poll.plusSeconds(5)).until(() -> lines.list.stream()
                    .anyMatch(e -> e.getFormattedMessage().contains("reachable again")));
            // One cycle (at most the backoff's 5 s ceiling, then an unparked poll); without it, a whole parked poll.
            assertThat(Duration.ofNanos(System.nanoTime() - restarted)).isLessThan(poll);
        } finally {
            log.detachAppender(lines);
        }
    }

    /**
     * Watchers parked in a long poll when the controller closes are answered at once, not left
     * for their whole poll: close() sets a flag and then wakes them. (Each watcher polls once: a
     * loop of new polls racing the server's stop tests Jetty's shutdown, not this.)
     */
    @Test
    void closingTheControllerLeavesNoWatcherParked() throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            for (int round = 0; round < 5; round++) {
                RunningController controller = new RunningController(dir.resolve("close-" + round + ".db"));
                HttpRequest watch = HttpRequest.newBuilder(controller.uri().resolve("/api/v1/topology?after=0&timeout=60s"))
                        .timeout(Duration.ofSeconds(90)).build();
                List<CompletableFuture<Integer>> polls = new ArrayList<>();
                for (int w = 0; w < 8; w++) {
                    polls.add(client.sendAsync(watch, HttpResponse.BodyHandlers.discarding())
                            .thenApply(HttpResponse::statusCode));
                }
                Thread.sleep(300); // the version stays 0: every poll parks for its 60 s
                assertThat(polls).noneMatch(CompletableFuture::isDone);
                long closing = System.nanoTime();
                controller.stop();
                for (CompletableFuture<Integer> poll : polls) {
                    assertThat(poll.get(20, TimeUnit.SECONDS)).as("round %d", round).isEqualTo(304);
                }
                assertThat(Duration.ofNanos(System.nanoTime() - closing)).as("round %d", round).isLessThan(Duration.ofSeconds(20));
            }
        }
    }

    @Test
    void aControllerThatIsNotThereFailsCurrentWithAMessage() {
        try (ControllerTopologySource source = new ControllerTopologySource(URI.create("http://127.0.0.1:1"), Duration.ofMillis(500), Duration.ofSeconds(1))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(source::current)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("http://127.0.0.1:1")
                    .hasMessageContaining("astaire controller");
        }
    }
}
