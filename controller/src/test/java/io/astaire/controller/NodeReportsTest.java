package io.astaire.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.model.NodeToken;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node status reports: only a node's own token admits them, and what they can make the controller hold is bounded. */
class NodeReportsTest {
    private static final String SECRET = "node-secret-for-tests-0123456789";

    @TempDir
    Path dir;

    /** A report of about 2 KiB, as a node with many counters sends. */
    private static String report(int counters) {
        StringBuilder sb = new StringBuilder("{\"role\":\"sf\",\"functions\":[\"acl\"],\"appliedVersion\":1,\"counters\":{");
        for (int i = 0; i < counters; i++) {
            sb.append(i == 0 ? "" : ",").append("\"acl.counter_").append(i).append("\":").append(i);
        }
        return sb.append("}}").toString();
    }

    @Test
    void tenThousandUnauthenticatedReportsAreAllRefusedAndTheControllersMemoryStaysPut() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xms96m", "-Xmx96m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), ControllerProcess.class.getName(),
                dir.resolve("astaire.db").toString(), SECRET).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            int port = -1;
            while (port < 0 && (line = out.readLine()) != null) {
                if (line.startsWith("port=")) {
                    port = Integer.parseInt(line.substring(5));
                }
            }
            assertThat(port).as("the controller process started").isPositive();
            Thread.ofPlatform().daemon().start(() -> out.lines().forEach(l -> { })); // keep its output from blocking it
            URI base = URI.create("http://127.0.0.1:" + port);
            String body = report(100);

            // Warm up: the JIT, Jetty's threads and buffers reach their working size.
            assertThat(flood(base, 1_000, body, null)).containsOnlyKeys(401);
            long before = rssKib(p.pid());
            Map<Integer, Integer> statuses = flood(base, 10_000, body, null);
            long after = rssKib(p.pid());

            System.out.printf("controller RSS before the 10 000 reports %d KiB, after %d KiB%n", before, after);
            assertThat(statuses).containsExactly(Map.entry(401, 10_000));
            assertThat(new Http(base, null).get("/api/v1/nodes").body()).isEqualTo("[]");
            assertThat(after).as("RSS after (KiB), before was %d", before).isLessThanOrEqualTo(before + before / 10);
            // The same controller admits a node with its token: the refusals were the authentication's.
            assertThat(flood(base, 1, body, NodeToken.derive(SECRET, "n-0"))).containsExactly(Map.entry(200, 1));
        } finally {
            p.destroy();
            p.waitFor();
        }
    }

    @Test
    void aNodeMayReportOnlyUnderItsOwnName() {
        try (RunningController c = new RunningController(dir.resolve("astaire.db"))) {
            Http a = new Http(c.uri(), c.nodeToken("sf-a"));
            assertThat(a.post("/api/v1/nodes/sf-a/status", "{\"role\":\"sf\"}").status()).isEqualTo(200);
            Http.Response impostor = a.post("/api/v1/nodes/sf-b/status", "{\"role\":\"egress\"}");
            assertThat(impostor.status()).isEqualTo(401);
            assertThat(impostor.json().get("message").asText()).contains("not node 'sf-b''s");
            assertThat(c.server().nodes().get("sf-b")).isNull();
            Http.Response overwrite = new Http(c.uri(), c.nodeToken("sf-b")).post("/api/v1/nodes/sf-a/status", "{\"role\":\"egress\"}");
            assertThat(overwrite.status()).isEqualTo(401);
            assertThat(c.server().nodes().get("sf-a").role()).isEqualTo("sf");
        }
    }

    @Test
    void newNamesPastTheBoundAreRefusedAndTheTableStaysAtTheBound() {
        int bound = 100;
        try (RunningController c = new RunningController(dir.resolve("astaire.db"),
                new NodeRegistry.Limits(bound, Duration.ofMinutes(10), Duration.ofSeconds(10)))) {
            int accepted = 0;
            Http.Response refused = null;
            for (int i = 0; i < 1_000; i++) {
                String name = "sf-" + i;
                Http.Response r = new Http(c.uri(), c.nodeToken(name)).post("/api/v1/nodes/" + name + "/status", report(10));
                if (r.status() == 200) {
                    accepted++;
                } else {
                    assertThat(r.status()).isEqualTo(429);
                    refused = r;
                }
            }
            assertThat(accepted).isEqualTo(bound);
            assertThat(refused.json().get("message").asText()).contains("at most 100 nodes", "--max-nodes");
            assertThat(c.server().nodes().size()).isEqualTo(bound);
            // A node already known keeps reporting.
            assertThat(new Http(c.uri(), c.nodeToken("sf-7")).post("/api/v1/nodes/sf-7/status", report(1)).status()).isEqualTo(200);
        }
    }

    @Test
    void aReportLargerThanTheLimitIs413() {
        try (RunningController c = new RunningController(dir.resolve("astaire.db"))) {
            Http node = new Http(c.uri(), c.nodeToken("big"));
            String big = report(5_000);
            assertThat(big.length()).isGreaterThan(ControllerServer.MAX_REPORT_BYTES);
            Http.Response r = node.post("/api/v1/nodes/big/status", big);
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.json().get("message").asText()).contains("at most " + ControllerServer.MAX_REPORT_BYTES);
            assertThat(c.server().nodes().get("big")).isNull();
            assertThat(node.post("/api/v1/nodes/big/status", report(100)).status()).isEqualTo(200);
        }
    }

    @Test
    void aSilentNodeTurnsStaleAfterThreeIntervalsAndIsDroppedAfterTheExpiry() {
        Duration expiry = Duration.ofMillis(1500);
        try (RunningController c = new RunningController(dir.resolve("astaire.db"),
                new NodeRegistry.Limits(100, expiry, Duration.ofSeconds(10)))) {
            Http node = new Http(c.uri(), c.nodeToken("sf-dead"));
            Http.Response nonsense = node.post("/api/v1/nodes/sf-dead/status", "{\"role\":\"sf\",\"reportIntervalMillis\":0}");
            assertThat(nonsense.status()).isEqualTo(400);
            assertThat(nonsense.json().get("field").asText()).isEqualTo("reportIntervalMillis");
            long sent = System.nanoTime();
            assertThat(node.post("/api/v1/nodes/sf-dead/status", "{\"role\":\"sf\",\"reportIntervalMillis\":100}").status()).isEqualTo(200);
            Http anyone = new Http(c.uri(), null);
            var fresh = anyone.get("/api/v1/nodes/sf-dead").json();
            if (Duration.ofNanos(System.nanoTime() - sent).toMillis() < 300) { // a busy machine may take longer: then only the next checks hold
                assertThat(fresh.get("stale").asBoolean()).isFalse();
            }
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(anyone.get("/api/v1/nodes/sf-dead").json().get("stale").asBoolean()).isTrue());
            assertThat(anyone.get("/api/v1/nodes").json().get(0).get("lastSeen").asText()).isNotEmpty();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(anyone.get("/api/v1/nodes").body()).isEqualTo("[]"));
            assertThat(anyone.get("/api/v1/nodes/sf-dead").status()).isEqualTo(404);
            assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(expiry);
        }
    }

    private static Map<Integer, Integer> flood(URI base, int count, String body, String token) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        Semaphore inFlight = new Semaphore(32);
        List<CompletableFuture<?>> all = new ArrayList<>();
        AtomicInteger failures = new AtomicInteger();
        for (int i = 0; i < count; i++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/api/v1/nodes/n-" + i + "/status"))
                    .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body));
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            inFlight.acquire();
            all.add(client.sendAsync(b.build(), HttpResponse.BodyHandlers.discarding())
                    .whenComplete((r, e) -> {
                        inFlight.release();
                        if (e != null) {
                            failures.incrementAndGet();
                        } else {
                            statuses.merge(r.statusCode(), 1, Integer::sum);
                        }
                    }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
        assertThat(failures.get()).as("requests that got no answer").isZero();
        return statuses;
    }

    private static long rssKib(long pid) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for pid " + pid);
    }
}
