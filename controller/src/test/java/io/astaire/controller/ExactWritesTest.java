package io.astaire.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a write stores is exactly what was written, checked as the node would check it, or nothing. */
class ExactWritesTest {
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

    private long version() {
        return Long.parseLong(api.get("/api/v1/topology").header("X-Astaire-Version"));
    }

    private void assertRefused(Http.Response r, int status, String field, String text) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.json().get("field").asText()).isEqualTo(field);
        assertThat(r.json().get("message").asText()).contains(text);
    }

    @Test
    void anAliasIsRefusedNamingTheField() {
        long before = version();
        assertRefused(api.post("/api/v1/apply", """
                functions:
                  - {name: a, kind: counter, address: &addr "10.0.0.1:4791"}
                  - {name: b, kind: counter, address: *addr}
                """), 400, "functions[1].address", "alias");
        assertRefused(api.post("/api/v1/functions", """
                {name: limit, kind: ratelimit, address: "10.0.0.1:4791", config: {rate: &r 100, burst: *r}}
                """), 400, "config.burst", "alias");
        assertThat(version()).isEqualTo(before);
        assertThat(api.get("/api/v1/functions").json()).isEmpty();
    }

    @Test
    void numbersAndStringsAreNotCoerced() {
        assertRefused(api.post("/api/v1/functions", "{\"name\": 123, \"kind\": \"counter\", \"address\": \"10.0.0.1:4791\"}"),
                400, "name", "");
        assertThat(api.post("/api/v1/functions", ControllerApiTest.fn("count", 4791)).status()).isEqualTo(201);
        assertRefused(api.post("/api/v1/chains", "{\"name\": \"web\", \"spi\": 1e3, \"functions\": [\"count\"]}"), 400, "spi", "");
        assertRefused(api.post("/api/v1/apply", "{\"chains\": [{\"name\": \"web\", \"spi\": \"10\", \"functions\": [\"count\"]}]}"),
                400, "chains[0].spi", "");
        assertThat(api.get("/api/v1/chains").json()).isEmpty();
    }

    @Test
    void aDuplicateKeyIsRefusedNamingIt() {
        assertThat(api.post("/api/v1/functions", ControllerApiTest.fn("count", 4791)).status()).isEqualTo(201);
        assertThat(api.put("/api/v1/settings", "{ingress: {address: \"127.0.0.1:4790\"}, egress: {address: \"127.0.0.1:4799\"}}")
                .status()).isEqualTo(200);
        Http.Response chain = api.post("/api/v1/chains", "{name: web, spi: 10, functions: [count]}");
        assertThat(chain.status()).as(chain.body()).isEqualTo(201);
        assertRefused(api.post("/api/v1/apply", """
                chains:
                  - name: web
                    spi: 10
                    spi: 11
                    functions: [count]
                """), 400, "chains[0].spi", "'spi' is given twice");
        assertRefused(api.put("/api/v1/chains/web", "{\"name\": \"web\", \"spi\": 10, \"spi\": 11, \"functions\": [\"count\"]}"),
                400, "spi", "given twice");
        assertThat(api.get("/api/v1/chains/web").json().get("spi").asInt()).as("the live chain kept its SPI").isEqualTo(10);
    }

    @Test
    void anInvalidAclConfigIs422NamingTheFieldAndStoresNothing() {
        long before = version();
        Http.Response r = api.post("/api/v1/functions",
                "{\"name\":\"acl\",\"kind\":\"acl\",\"address\":\"10.0.0.1:4791\",\"config\":{\"default\":\"maybe\"}}");
        assertRefused(r, 422, "functions.acl.config.default", "'maybe' is not allow|deny");
        assertRefused(api.post("/api/v1/apply", """
                functions:
                  - name: acl
                    kind: acl
                    address: "10.0.0.1:4791"
                    config:
                      rules:
                        - {action: deny, protocol: tcp, destinationPorts: 23}
                        - {action: alow}
                """), 422, "functions.acl.config.rules[1].action", "alow");
        assertThat(version()).as("nothing stored, so no node sees a new version").isEqualTo(before);
        assertThat(api.get("/api/v1/functions/acl").status()).isEqualTo(404);

        assertThat(api.post("/api/v1/functions",
                "{\"name\":\"acl\",\"kind\":\"acl\",\"address\":\"10.0.0.1:4791\",\"config\":{\"default\":\"deny\"}}").status()).isEqualTo(201);
    }

    @Test
    void aKindTheControllerDoesNotKnowIsStoredAndListedAsUnvalidated() {
        assertThat(api.post("/api/v1/functions",
                "{\"name\":\"guard\",\"kind\":\"ttl-guard\",\"address\":\"10.0.0.1:4791\",\"config\":{\"anything\":1}}").status()).isEqualTo(201);
        var validated = api.get("/api/v1/function-kinds").json().get("validated");
        assertThat(validated.toString()).contains("\"acl\"", "\"ratelimit\"").doesNotContain("ttl-guard");
    }

    @Test
    void ifMatchTakesAListOfEtagsAndStar() {
        Http.Response v1 = api.post("/api/v1/functions", ControllerApiTest.fn("count", 4791));
        String etag = v1.etag();
        assertThat(api.put("/api/v1/functions/count", ControllerApiTest.fn("count", 4792), "\"a\", " + etag + ", \"b\"").status())
                .as("a list holding the current ETag matches").isEqualTo(200);
        Http.Response stale = api.put("/api/v1/functions/count", ControllerApiTest.fn("count", 4793), "\"a\", " + etag);
        assertThat(stale.status()).as("a list of old ETags does not").isEqualTo(412);
        String current = api.get("/api/v1/functions/count").etag();
        assertThat(api.put("/api/v1/functions/count", ControllerApiTest.fn("count", 4793), "W/" + current).status())
                .as("If-Match compares strongly: a weak tag never matches").isEqualTo(412);
        assertThat(api.put("/api/v1/functions/count", ControllerApiTest.fn("count", 4793), "*").status()).isEqualTo(200);
        assertThat(api.put("/api/v1/functions/none", ControllerApiTest.fn("none", 4794), "*").status()).isEqualTo(412);
        Http.Response malformed = api.put("/api/v1/functions/count", ControllerApiTest.fn("count", 4795), "abc");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().get("field").asText()).isEqualTo("If-Match");

        String topology = api.get("/api/v1/topology").etag();
        assertThat(api.post("/api/v1/apply", "{}").status()).isEqualTo(200);
        assertThat(api.send("POST", "/api/v1/apply", ControllerApiTest.fn("x", 1).replace("{", "{\"functions\":[{") + "]}", "\"0\", " + topology)
                .status()).isEqualTo(200);
    }
}
