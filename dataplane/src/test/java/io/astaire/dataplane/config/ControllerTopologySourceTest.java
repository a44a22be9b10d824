package io.astaire.dataplane.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.astaire.dataplane.config.TopologySource.Versioned;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the watch client copes with a controller that misbehaves. The happy path, restarts and
 * outages run against the real controller in the controller module's WatchTest; here a scripted
 * HTTP server (a real socket, the JDK's server) plays a controller that sends what a real one
 * never should, which the client must survive.
 */
class ControllerTopologySourceTest {
    static final String GOOD = "{\"functions\":[{\"name\":\"a\",\"kind\":\"counter\",\"address\":\"127.0.0.1:4791\"}],"
            + "\"chains\":[{\"name\":\"c\",\"spi\":5,\"symmetric\":false,\"functions\":[\"a\"]}],\"egress\":{\"address\":\"127.0.0.1:4794\"}}";

    /** What the scripted server answers next: status, version header (null for none), body. */
    record Answer(int status, String version, String body) {}

    final BlockingQueue<Answer> script = new LinkedBlockingQueue<>();
    final BlockingQueue<String> queries = new LinkedBlockingQueue<>();
    HttpServer server;
    URI uri;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/topology", this::answer);
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void answer(HttpExchange ex) throws IOException {
        queries.add(ex.getRequestURI().getQuery());
        Answer a;
        try {
            // Like a long poll: wait for the script; with nothing scripted, "no change".
            a = script.poll(300, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            a = null;
        }
        if (a == null) {
            a = new Answer(304, null, "");
        }
        if (a.version() != null) {
            ex.getResponseHeaders().add(ControllerTopologySource.VERSION_HEADER, a.version());
        }
        byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(a.status(), a.status() == 304 || body.length == 0 ? -1 : body.length);
        if (body.length > 0 && a.status() != 304) {
            ex.getResponseBody().write(body);
        }
        ex.close();
    }

    @Test
    void badAnswersKeepTheLastGoodVersionAndAskAgainFromIt() throws Exception {
        script.add(new Answer(200, "3", GOOD));
        try (ControllerTopologySource source = new ControllerTopologySource(uri, Duration.ofSeconds(10), Duration.ofSeconds(1))) {
            Versioned first = source.current();
            assertThat(first.version()).isEqualTo(3);
            assertThat(first.topology().chain("c").spi()).isEqualTo(5);
            BlockingQueue<Versioned> seen = new LinkedBlockingQueue<>();
            source.subscribe(seen::add);
            source.subscribe(v -> {
                throw new IllegalStateException("a listener that fails must not stop the source");
            });

            script.add(new Answer(200, "4", "{\"chains\":[{\"name\":\"c\",\"functions\":[\"missing\"]}]}")); // invalid topology
            script.add(new Answer(200, "5", "not json at all {"));
            script.add(new Answer(200, null, GOOD)); // no version header
            script.add(new Answer(500, null, "boom"));
            script.add(new Answer(200, "6", GOOD.replace("\"spi\":5", "\"spi\":6")));

            Versioned next = seen.poll(20, TimeUnit.SECONDS);
            assertThat(next).isNotNull();
            assertThat(next.version()).as("only the good version got through").isEqualTo(6);
            assertThat(next.topology().chain("c").spi()).isEqualTo(6);
            assertThat(source.current()).isSameAs(next);
            // Every poll after the first good answer asked from version 3: the bad answers were not taken.
            assertThat(queries).anyMatch(q -> q.startsWith("after=3&"));
            assertThat(queries).noneMatch(q -> q.startsWith("after=4&") || q.startsWith("after=5&"));

            // A listener that throws did not stop the watch: a later version still arrives.
            script.add(new Answer(200, "7", GOOD));
            assertThat(seen.poll(20, TimeUnit.SECONDS)).extracting(Versioned::version).isEqualTo(7L);
        }
    }

    @Test
    void aServerThatIsNotAControllerFailsCurrentNamingTheProblem() {
        for (int i = 0; i < 50; i++) {
            script.add(new Answer(200, null, "<html>hello</html>"));
        }
        try (ControllerTopologySource source = new ControllerTopologySource(uri, Duration.ofMillis(800), Duration.ofSeconds(1))) {
            assertThatThrownBy(source::current).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(uri.toString())
                    .hasMessageContaining("X-Astaire-Version");
        }
    }

    @Test
    void aControllerThatGoesBackInVersionIsFollowed() throws Exception {
        script.add(new Answer(200, "9", GOOD));
        try (ControllerTopologySource source = new ControllerTopologySource(uri, Duration.ofSeconds(10), Duration.ofSeconds(1))) {
            assertThat(source.current().version()).isEqualTo(9);
            BlockingQueue<Versioned> seen = new LinkedBlockingQueue<>();
            source.subscribe(seen::add);
            // A controller restored from an older backup: its state is what nodes must run.
            script.add(new Answer(200, "2", GOOD.replace("\"spi\":5", "\"spi\":8")));
            Versioned restored = seen.poll(20, TimeUnit.SECONDS);
            assertThat(restored).isNotNull();
            assertThat(restored.version()).isEqualTo(2);
            assertThat(restored.topology().chain("c").spi()).isEqualTo(8);
        }
    }

    @Test
    void theWatchCountsFailuresByReasonAndSaysWhenItLastSynced() throws Exception {
        script.add(new Answer(200, "3", GOOD));
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (ControllerTopologySource source = new ControllerTopologySource(uri, Duration.ofSeconds(10), Duration.ofSeconds(1))) {
            source.bindMeters(meters);
            source.current();
            BlockingQueue<Versioned> seen = new LinkedBlockingQueue<>();
            source.subscribe(seen::add);
            script.add(new Answer(401, null, "{\"error\":\"no token\"}"));
            script.add(new Answer(500, null, "boom"));
            script.add(new Answer(200, null, GOOD)); // not a controller: no version header
            script.add(new Answer(200, "4", GOOD));
            assertThat(seen.poll(20, TimeUnit.SECONDS)).extracting(Versioned::version).isEqualTo(4L);
            double before = System.currentTimeMillis() / 1000.0;
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(failures(meters, "refused")).isEqualTo(1);
                assertThat(failures(meters, "error_status")).isEqualTo(1);
                assertThat(failures(meters, "bad_answer")).isEqualTo(1);
                assertThat(failures(meters, "unreachable")).isZero();
                assertThat(meters.get("astaire.controller.connected").gauge().value()).isEqualTo(1);
                assertThat(meters.get("astaire.controller.last.sync.timestamp.seconds").gauge().value()).isGreaterThanOrEqualTo(before - 1);
            });
            assertThat(meters.scrape()).contains("astaire_controller_connected 1.0", "astaire_controller_last_sync_timestamp_seconds",
                    "astaire_controller_failures_total{call=\"watch\",reason=\"refused\"} 1.0");

            // The controller goes away: not connected, unreachable counted, the last sync time stays.
            double synced = meters.get("astaire.controller.last.sync.timestamp.seconds").gauge().value();
            server.stop(0);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(meters.get("astaire.controller.connected").gauge().value()).isZero();
                assertThat(failures(meters, "unreachable")).isPositive();
            });
            assertThat(meters.get("astaire.controller.last.sync.timestamp.seconds").gauge().value()).isEqualTo(synced);
        }
    }

    private static double failures(PrometheusMeterRegistry meters, String reason) {
        return meters.get("astaire.controller.failures").tags("call", "watch", "reason", reason).functionCounter().count();
    }

    @Test
    void onlyHttpUrlsAreAccepted() {
        assertThatThrownBy(() -> new ControllerTopologySource(URI.create("ftp://x:1"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--controller");
    }
}
