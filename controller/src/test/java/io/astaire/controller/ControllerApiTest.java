package io.astaire.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST API of a real controller on an ephemeral port over a real SQLite file. */
class ControllerApiTest {
    static final String SETTINGS = """
            {"ingress": {"address": "127.0.0.1:4790"}, "egress": {"address": "127.0.0.1:4794"}}""";

    @TempDir
    Path dir;
    RunningController controller;
    Http api;

    @BeforeEach
    void start() {
        controller = new RunningController(dir.resolve("astaire.db"));
        api = new Http(controller.uri(), RunningController.TOKEN);
    }

    @AfterEach
    void stop() {
        controller.close();
    }

    private void basics() {
        assertThat(api.put("/api/v1/settings", SETTINGS).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/functions", fn("acl", 4791)).status()).isEqualTo(201);
        assertThat(api.post("/api/v1/functions", fn("count", 4792)).status()).isEqualTo(201);
    }

    static String fn(String name, int port) {
        return "{\"name\":\"" + name + "\",\"kind\":\"counter\",\"address\":\"127.0.0.1:" + port + "\"}";
    }

    @Test
    void functionsCreateReadUpdateDelete() {
        Http.Response created = api.post("/api/v1/functions", fn("acl", 4791));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header("Location")).isEqualTo("/api/v1/functions/acl");
        assertThat(created.etag()).matches("\"\\d+\"");
        assertThat(created.json().get("address").asText()).isEqualTo("127.0.0.1:4791");

        Http.Response read = api.get("/api/v1/functions/acl");
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.etag()).isEqualTo(created.etag());
        assertThat(read.json().get("kind").asText()).isEqualTo("counter");
        assertThat(api.get("/api/v1/functions").json().findValuesAsText("name")).containsExactly("acl");

        Http.Response updated = api.put("/api/v1/functions/acl", "{\"kind\":\"acl\",\"address\":\"10.0.0.1:4791\",\"replicas\":3}");
        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.etag()).isNotEqualTo(created.etag());
        assertThat(api.get("/api/v1/functions/acl").json().get("replicas").asInt()).isEqualTo(3);

        // The same body again changes nothing: same ETag, same global version.
        String version = api.get("/api/v1/topology").header("X-Astaire-Version");
        Http.Response again = api.put("/api/v1/functions/acl", "{\"kind\":\"acl\",\"address\":\"10.0.0.1:4791\",\"replicas\":3}");
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.etag()).isEqualTo(updated.etag());
        assertThat(api.get("/api/v1/topology").header("X-Astaire-Version")).isEqualTo(version);

        assertThat(api.delete("/api/v1/functions/acl").status()).isEqualTo(204);
        assertThat(api.get("/api/v1/functions/acl").status()).isEqualTo(404);
        assertThat(api.get("/api/v1/functions").json()).isEmpty();
    }

    @Test
    void chainsGetStableSpisThatAreNotReusedAfterDelete() {
        basics();
        Http.Response web = api.post("/api/v1/chains", "{\"name\":\"web\",\"functions\":[\"acl\",\"count\"]}");
        assertThat(web.status()).isEqualTo(201);
        assertThat(web.json().get("spi").asInt()).isEqualTo(1);
        assertThat(web.json().get("symmetric").asBoolean()).isTrue();
        Http.Response mail = api.post("/api/v1/chains", "{\"name\":\"mail\",\"symmetric\":false,\"functions\":[\"count\"]}");
        assertThat(mail.json().get("spi").asInt()).isEqualTo(2);

        // An update that names no SPI keeps the allocated one.
        Http.Response reordered = api.put("/api/v1/chains/web", "{\"name\":\"web\",\"functions\":[\"count\",\"acl\"]}");
        assertThat(reordered.status()).isEqualTo(200);
        assertThat(reordered.json().get("spi").asInt()).isEqualTo(1);
        assertThat(reordered.json().get("functions").get(0).asText()).isEqualTo("count");

        assertThat(api.delete("/api/v1/chains/web").status()).isEqualTo(204);
        Http.Response video = api.post("/api/v1/chains", "{\"name\":\"video\",\"functions\":[\"acl\"]}");
        assertThat(video.json().get("spi").asInt()).as("a deleted chain's SPI is not handed out again at once").isEqualTo(3);

        Http.Response explicit = api.post("/api/v1/chains", "{\"name\":\"pinned\",\"spi\":100,\"functions\":[\"acl\"]}");
        assertThat(explicit.json().get("spi").asInt()).isEqualTo(100);
        assertThat(api.post("/api/v1/chains", "{\"name\":\"next\",\"functions\":[\"acl\"]}").json().get("spi").asInt()).isEqualTo(101);
    }

    @Test
    void rulesCrudAndTheirValidation() {
        basics();
        api.post("/api/v1/chains", "{\"name\":\"web\",\"functions\":[\"acl\"]}");
        Http.Response rule = api.post("/api/v1/rules",
                "{\"name\":\"to-web\",\"priority\":10,\"protocol\":\"tcp\",\"destination\":\"10.20.0.0/24\",\"destinationPorts\":\"80-443\",\"chain\":\"web\"}");
        assertThat(rule.status()).isEqualTo(201);
        assertThat(rule.json().get("destinationPorts").asText()).isEqualTo("80-443");
        assertThat(api.get("/api/v1/rules/to-web").json().get("destination").asText()).isEqualTo("10.20.0.0/24");

        Http.Response unknownChain = api.put("/api/v1/rules/to-web", "{\"name\":\"to-web\",\"chain\":\"nope\"}");
        assertThat(unknownChain.status()).isEqualTo(422);
        assertThat(unknownChain.json().get("field").asText()).isEqualTo("rules[to-web].chain");
        assertThat(unknownChain.json().get("message").asText()).contains("'nope' is not a declared chain");

        Http.Response portsWithoutProtocol = api.put("/api/v1/rules/to-web", "{\"name\":\"to-web\",\"destinationPorts\":80,\"chain\":\"web\"}");
        assertThat(portsWithoutProtocol.status()).isEqualTo(422);
        assertThat(portsWithoutProtocol.json().get("field").asText()).isEqualTo("rules[to-web].protocol");

        Http.Response badPrefix = api.post("/api/v1/rules", "{\"name\":\"x\",\"source\":\"example.com\",\"chain\":\"web\"}");
        assertThat(badPrefix.status()).isEqualTo(400);
        assertThat(badPrefix.json().get("field").asText()).isEqualTo("source");

        // The failed writes left the stored rule as it was.
        assertThat(api.get("/api/v1/rules/to-web").json().get("priority").asInt()).isEqualTo(10);
        assertThat(api.delete("/api/v1/rules/to-web").status()).isEqualTo(204);
        assertThat(api.get("/api/v1/rules").json()).isEmpty();
    }

    @Test
    void aRuleSetOverTheClassifierBoundIsRefusedSayingHowBigAndStoresNothing() {
        controller.server().registry().classifierLimit(new io.astaire.dataplane.classify.ClassifierLimit(1 << 20));
        basics();
        api.post("/api/v1/chains", "{\"name\":\"web\",\"functions\":[\"acl\"]}");
        Http.Response fits = api.post("/api/v1/apply", rules(0, 4000));
        assertThat(fits.status()).as(fits.body()).isEqualTo(200);
        long version = fits.json().get("version").asLong();

        Http.Response tooMany = api.post("/api/v1/apply", rules(4000, 1500));
        assertThat(tooMany.status()).isEqualTo(422);
        assertThat(tooMany.json().get("field").asText()).isEqualTo("rules");
        assertThat(tooMany.json().get("message").asText())
                .contains("the edges would refuse this rule set: 5500 classifier rules would take at least "
                        + io.astaire.dataplane.classify.ClassifierLimit.lowerBound(5500) + " bytes (1.1 MiB)")
                .contains("over the limit of 1 MiB (--max-classifier-memory)");
        Http.Response dryRun = api.post("/api/v1/apply?dryRun=true", rules(4000, 1500));
        assertThat(dryRun.status()).as("a dry run says the same").isEqualTo(422);

        // nothing of the refused writes was stored, and the version did not move
        assertThat(api.get("/api/v1/rules").json()).hasSize(4000);
        assertThat(api.get("/api/v1/rules/r4000").status()).isEqualTo(404);
        assertThat(controller.server().registry().state().version()).isEqualTo(version);
        controller.stop();
        controller.start();
        assertThat(controller.server().registry().state().topology().rules()).hasSize(4000);
    }

    /** An apply document of {@code count} rules r{from}.. to distinct /32 destinations on chain web. */
    private static String rules(int from, int count) {
        StringBuilder b = new StringBuilder("{\"rules\":[");
        for (int i = from; i < from + count; i++) {
            b.append(i == from ? "" : ",").append("{\"name\":\"r").append(i).append("\",\"priority\":10,\"destination\":\"10.")
                    .append(i >> 16 & 255).append('.').append(i >> 8 & 255).append('.').append(i & 255).append("/32\",\"chain\":\"web\"}");
        }
        return b.append("]}").toString();
    }

    @Test
    void badRequestsNameTheField() {
        Http.Response badAddress = api.post("/api/v1/functions", "{\"name\":\"acl\",\"kind\":\"acl\",\"address\":\"127.0.0.1:99999\"}");
        assertThat(badAddress.status()).isEqualTo(400);
        assertThat(badAddress.json().get("field").asText()).isEqualTo("address");
        assertThat(badAddress.json().get("message").asText()).contains("99999");

        Http.Response unknownField = api.post("/api/v1/functions", "{\"name\":\"acl\",\"kind\":\"acl\",\"adress\":\"127.0.0.1:1\"}");
        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(unknownField.json().get("message").asText()).contains("adress");

        Http.Response badName = api.post("/api/v1/functions", "{\"name\":\"Acl_1\",\"kind\":\"acl\",\"address\":\"127.0.0.1:1\"}");
        assertThat(badName.status()).isEqualTo(422);
        assertThat(badName.json().get("field").asText()).isEqualTo("functions[Acl_1].name");

        Http.Response noKind = api.post("/api/v1/functions", "{\"name\":\"acl\",\"address\":\"127.0.0.1:1\"}");
        assertThat(noKind.status()).isEqualTo(422);
        assertThat(noKind.json().get("field").asText()).isEqualTo("functions[acl].kind");

        Http.Response empty = api.post("/api/v1/functions", "");
        assertThat(empty.status()).isEqualTo(400);

        Http.Response mismatch = api.put("/api/v1/functions/acl", fn("other", 1));
        assertThat(mismatch.status()).isEqualTo(400);
        assertThat(mismatch.json().get("field").asText()).isEqualTo("name");

        Http.Response chainWithoutEgress = api.post("/api/v1/chains", "{\"name\":\"web\",\"functions\":[\"acl\"]}");
        assertThat(chainWithoutEgress.status()).isEqualTo(422);

        Http.Response badDefault = api.put("/api/v1/settings", "{\"egress\":{\"address\":\"127.0.0.1:4794\"},\"defaultChain\":\"nope\"}");
        assertThat(badDefault.status()).isEqualTo(422);
        assertThat(badDefault.json().get("field").asText()).isEqualTo("defaultChain");

        Http.Response badWatch = api.get("/api/v1/topology?after=x");
        assertThat(badWatch.status()).isEqualTo(400);
        assertThat(badWatch.json().get("field").asText()).isEqualTo("after");

        assertThat(api.get("/api/v1/topology").header("X-Astaire-Version")).as("nothing was written").isEqualTo("0");
    }

    @Test
    void unknownNamesAre404() {
        assertThat(api.get("/api/v1/functions/nope").status()).isEqualTo(404);
        assertThat(api.get("/api/v1/chains/nope").status()).isEqualTo(404);
        Http.Response rule = api.get("/api/v1/rules/nope");
        assertThat(rule.status()).isEqualTo(404);
        assertThat(rule.json().get("message").asText()).isEqualTo("no rule named 'nope'");
        assertThat(api.delete("/api/v1/chains/nope").status()).isEqualTo(404);
        assertThat(api.get("/api/v1/nodes/nope").status()).isEqualTo(404);
        Http.Response route = api.get("/api/v1/widgets");
        assertThat(route.status()).isEqualTo(404);
        assertThat(route.json().get("message").asText()).contains("no such resource: GET /api/v1/widgets");
    }

    @Test
    void aClientThatAsksForJsonGetsOurErrorForAnUnknownEndpointToo() throws Exception {
        var client = java.net.http.HttpClient.newHttpClient();
        var r = client.send(java.net.http.HttpRequest.newBuilder(controller.uri().resolve("/api/v1/widgets"))
                .header("Accept", "application/json").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("{\"status\":404,\"message\":\"no such resource: GET /api/v1/widgets (see /api/v1/openapi.json)\"}");
    }

    @Test
    void aTraceIsAWriteItsRequestIsCheckedFieldByFieldAndASilentIngressIsSaidSo() {
        basics();
        assertThat(api.post("/api/v1/chains", "{\"name\":\"web\",\"spi\":10,\"functions\":[\"acl\"]}").status()).isEqualTo(201);
        String trace = "/api/v1/chains/web/trace";
        assertThat(api.token(null).post(trace, "{\"destination\":\"10.2.0.2\"}").status()).isEqualTo(401);

        Http.Response noChain = api.post("/api/v1/chains/nope/trace", "{\"destination\":\"10.2.0.2\"}");
        assertThat(noChain.status()).isEqualTo(404);
        assertThat(noChain.json().get("message").asText()).isEqualTo("no chain named 'nope'");
        String[][] bad = {
                {"{}", "destination", "is required (an IPv4 or IPv6 address)"},
                {"{\"destination\":\"web.example\"}", "destination", "'web.example' is not an IPv4 or IPv6 address"},
                {"{\"destination\":\"10.2.0.2\",\"protocol\":\"tcp\"}", "destinationPort", "is required for tcp"},
                {"{\"destination\":\"10.2.0.2\",\"timeoutMillis\":60000}", "timeoutMillis", "must be within 100-10000, was 60000"},
        };
        for (String[] b : bad) {
            Http.Response r = api.post(trace, b[0]);
            assertThat(r.status()).as(b[0]).isEqualTo(400);
            assertThat(r.json().get("field").asText()).as(b[0]).isEqualTo(b[1]);
            assertThat(r.json().get("message").asText()).as(b[0]).isEqualTo(b[2]);
        }
        Http.Response unknownField = api.post(trace, "{\"destination\":\"10.2.0.2\",\"dport\":80}");
        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(unknownField.json().get("message").asText()).contains("dport");

        // Nothing listens at the settings' ingress (127.0.0.1:4790): the probe goes out, no node reports.
        Http.Response lost = api.post(trace, "{\"destination\":\"10.2.0.2\",\"timeoutMillis\":300}");
        assertThat(lost.status()).isEqualTo(200);
        assertThat(lost.json().get("outcome").asText()).isEqualTo("lost");
        assertThat(lost.json().get("message").asText())
                .startsWith("no node reported within 300 ms: the ingress at 127.0.0.1:4790 did not answer");
        assertThat(lost.json().get("flow").get("protocol").asText()).isEqualTo("icmp");
        assertThat(lost.json().get("hops")).isEmpty();
    }

    @Test
    void conflictsAre409() {
        basics();
        assertThat(api.post("/api/v1/functions", fn("acl", 4791)).status()).isEqualTo(409);
        api.post("/api/v1/chains", "{\"name\":\"web\",\"spi\":7,\"functions\":[\"acl\"]}");
        api.post("/api/v1/rules", "{\"name\":\"all\",\"chain\":\"web\"}");

        Http.Response usedFunction = api.delete("/api/v1/functions/acl");
        assertThat(usedFunction.status()).isEqualTo(409);
        assertThat(usedFunction.json().get("message").asText()).contains("chain 'web'");

        Http.Response usedChain = api.delete("/api/v1/chains/web");
        assertThat(usedChain.status()).isEqualTo(409);
        assertThat(usedChain.json().get("message").asText()).contains("rule 'all'");

        Http.Response duplicateSpi = api.post("/api/v1/chains", "{\"name\":\"other\",\"spi\":7,\"functions\":[\"count\"]}");
        assertThat(duplicateSpi.status()).isEqualTo(409);
        assertThat(duplicateSpi.json().get("field").asText()).isEqualTo("chains[other].spi");

        // Remove the users first and the deletes go through.
        assertThat(api.delete("/api/v1/rules/all").status()).isEqualTo(204);
        assertThat(api.delete("/api/v1/chains/web").status()).isEqualTo(204);
        assertThat(api.delete("/api/v1/functions/acl").status()).isEqualTo(204);
    }

    @Test
    void staleIfMatchIs412() {
        Http.Response v1 = api.post("/api/v1/functions", fn("acl", 4791));
        Http.Response v2 = api.put("/api/v1/functions/acl", fn("acl", 4795), v1.etag());
        assertThat(v2.status()).isEqualTo(200);

        Http.Response stale = api.put("/api/v1/functions/acl", fn("acl", 4796), v1.etag());
        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.json().get("message").asText()).contains("GET it again");
        assertThat(api.get("/api/v1/functions/acl").json().get("address").asText()).endsWith(":4795");

        assertThat(api.delete("/api/v1/functions/acl", v1.etag()).status()).isEqualTo(412);
        assertThat(api.put("/api/v1/functions/new", fn("new", 1), "*").status()).as("If-Match: * needs an existing item").isEqualTo(412);

        String topologyEtag = api.get("/api/v1/topology").etag();
        api.post("/api/v1/functions", fn("other", 4797));
        assertThat(api.put("/api/v1/topology", "{}", topologyEtag).status()).isEqualTo(412);

        assertThat(api.delete("/api/v1/functions/acl", v2.etag()).status()).isEqualTo(204);
    }

    @Test
    void concurrentWritersWithTheSameIfMatchExactlyOneWins() throws Exception {
        String etag = api.post("/api/v1/functions", fn("acl", 4791)).etag();
        int writers = 8;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        try {
            var start = new java.util.concurrent.CountDownLatch(1);
            java.util.List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int port = 5000 + i;
                results.add(pool.submit(() -> {
                    start.await();
                    return api.put("/api/v1/functions/acl", fn("acl", port), etag).status();
                }));
            }
            start.countDown();
            java.util.List<Integer> statuses = new java.util.ArrayList<>();
            for (var f : results) {
                statuses.add(f.get(30, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertThat(statuses).filteredOn(s -> s == 200).hasSize(1);
            assertThat(statuses).filteredOn(s -> s == 412).hasSize(writers - 1);

            // Concurrent creates of chains without an SPI all get distinct ones.
            api.put("/api/v1/settings", SETTINGS);
            java.util.List<java.util.concurrent.Future<Http.Response>> creates = new java.util.ArrayList<>();
            for (int i = 0; i < writers; i++) {
                String body = "{\"name\":\"c" + i + "\",\"functions\":[\"acl\"]}";
                creates.add(pool.submit(() -> api.post("/api/v1/chains", body)));
            }
            java.util.Set<Integer> spis = new java.util.HashSet<>();
            for (var f : creates) {
                Http.Response r = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(r.status()).isEqualTo(201);
                spis.add(r.json().get("spi").asInt());
            }
            assertThat(spis).hasSize(writers);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void writesNeedTheTokenReadsDoNot() {
        Http anonymous = api.token(null);
        Http.Response none = anonymous.post("/api/v1/functions", fn("acl", 4791));
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(none.json().get("message").asText()).contains("ASTAIRE_TOKEN");
        assertThat(api.token("wrong").post("/api/v1/functions", fn("acl", 4791)).status()).isEqualTo(401);
        assertThat(api.token("wrong").delete("/api/v1/functions/acl").status()).isEqualTo(401);
        assertThat(api.token("wrong").put("/api/v1/topology", "{}").status()).isEqualTo(401);

        assertThat(anonymous.get("/api/v1/functions").status()).isEqualTo(200);
        assertThat(anonymous.get("/api/v1/topology").status()).isEqualTo(200);
        assertThat(anonymous.get("/api/v1/functions").json()).as("the refused writes stored nothing").isEmpty();
        // A node reports with its node token; the write token is not one.
        assertThat(anonymous.post("/api/v1/nodes/n1/status", "{\"role\":\"sf\"}").status()).isEqualTo(401);
        assertThat(api.post("/api/v1/nodes/n1/status", "{\"role\":\"sf\"}").status()).isEqualTo(401);
        assertThat(api.token(controller.nodeToken("n1")).post("/api/v1/nodes/n1/status", "{\"role\":\"sf\"}").status()).isEqualTo(200);
        assertThat(api.token(controller.nodeToken("n1")).post("/api/v1/functions", fn("acl", 4791)).status())
                .as("a node token is not a write token").isEqualTo(401);
    }

    @Test
    void applyIsIdempotentAndPruneRemovesWhatTheFileDoesNotName() throws Exception {
        String file = java.nio.file.Files.readString(exampleChain());
        Http.Response first = api.post("/api/v1/apply", file);
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.json().findValuesAsText("action")).containsOnly("created");
        long version = first.json().get("version").asLong();

        Http.Response second = api.post("/api/v1/apply", file);
        assertThat(second.json().findValuesAsText("action")).containsOnly("unchanged");
        assertThat(second.json().get("version").asLong()).isEqualTo(version);

        api.post("/api/v1/functions", fn("extra", 4799));
        Http.Response dry = api.post("/api/v1/apply?prune=true&dryRun=true", file);
        assertThat(dry.json().toString()).contains("\"name\":\"extra\",\"action\":\"deleted\"");
        assertThat(api.get("/api/v1/functions/extra").status()).as("a dry run writes nothing").isEqualTo(200);

        api.post("/api/v1/apply?prune=true", file);
        assertThat(api.get("/api/v1/functions/extra").status()).isEqualTo(404);

        // A file that breaks the topology is refused as a whole.
        Http.Response broken = api.post("/api/v1/apply", "chains: [{name: web, functions: [acl, ghost]}]");
        assertThat(broken.status()).isEqualTo(422);
        assertThat(broken.json().get("field").asText()).isEqualTo("chains[web].functions[1]");
    }

    @Test
    void aRestartKeepsEverythingIncludingSpisAndVersions() throws Exception {
        api.post("/api/v1/apply", java.nio.file.Files.readString(exampleChain()));
        api.post("/api/v1/chains", "{\"name\":\"second\",\"functions\":[\"count\",\"pass\"],\"symmetric\":false}");
        api.delete("/api/v1/rules/icmp");
        Http.Response before = api.get("/api/v1/topology");
        String chainEtag = api.get("/api/v1/chains/second").etag();

        controller.stop();
        controller.start();

        Http.Response after = api.get("/api/v1/topology");
        assertThat(after.etag()).isEqualTo(before.etag());
        Topology t1 = TopologyCodec.parse(before.body());
        Topology t2 = TopologyCodec.parse(after.body());
        assertThat(t2).isEqualTo(t1);
        assertThat(t2.chain("web").spi()).isEqualTo(10);
        assertThat(t2.chain("second").spi()).isEqualTo(11);
        assertThat(t2.rules()).extracting(r -> r.name()).containsExactly("to-servers");
        assertThat(api.get("/api/v1/chains/second").etag()).isEqualTo(chainEtag);
        // The SPI counter survived too: the next chain gets a fresh SPI.
        assertThat(api.post("/api/v1/chains", "{\"name\":\"third\",\"functions\":[\"acl\"]}").json().get("spi").asInt()).isEqualTo(12);
    }

    @Test
    void nodesReportTheirStatus() {
        Http node = api.token(controller.nodeToken("sf-1"));
        Http.Response r = node.post("/api/v1/nodes/sf-1/status",
                "{\"role\":\"sf\",\"functions\":[\"acl\"],\"appliedVersion\":3,\"counters\":{\"acl.packets\":42}}");
        assertThat(r.status()).isEqualTo(200);
        JsonNode nodes = api.get("/api/v1/nodes").json();
        assertThat(nodes).hasSize(1);
        assertThat(nodes.get(0).get("name").asText()).isEqualTo("sf-1");
        assertThat(nodes.get(0).get("counters").get("acl.packets").asLong()).isEqualTo(42);
        assertThat(nodes.get(0).get("lastSeen").asText()).isNotEmpty();
        assertThat(node.post("/api/v1/nodes/sf-1/status", "{\"functions\":[]}").status()).as("role is required").isEqualTo(400);
    }

    @Test
    void theOpenApiDescriptionCoversTheRoutes() {
        Http.Response r = api.get("/api/v1/openapi.json");
        assertThat(r.status()).isEqualTo(200);
        JsonNode paths = r.json().get("paths");
        assertThat(r.json().get("openapi").asText()).startsWith("3.");
        for (String p : new String[] {"/api/v1/topology", "/api/v1/apply", "/api/v1/functions", "/api/v1/functions/{name}",
                "/api/v1/chains", "/api/v1/chains/{name}", "/api/v1/rules", "/api/v1/rules/{name}", "/api/v1/settings",
                "/api/v1/nodes", "/api/v1/nodes/{name}", "/api/v1/nodes/{name}/status", "/api/v1/function-kinds"}) {
            assertThat(paths.has(p)).as(p).isTrue();
        }
        assertThat(api.get("/api/v1/openapi.yaml").body()).contains("openapi:");
    }

    static Path exampleChain() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !java.nio.file.Files.exists(p.resolve("examples/chain.yaml"))) {
            p = p.getParent();
        }
        return p.resolve("examples/chain.yaml");
    }
}
