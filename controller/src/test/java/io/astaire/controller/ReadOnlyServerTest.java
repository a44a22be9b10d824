package io.astaire.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.model.NodeReport;
import io.astaire.model.TopologyCodec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A controller started read-only (the operator mode's: its registry mirrors another store) serves
 * the topology and takes node reports, and refuses every configuration write with 405 and the
 * reason it was given, whatever token the writer holds.
 */
class ReadOnlyServerTest {
    private final NodeSecret secret = NodeSecret.random();
    private final Registry registry = new Registry(new MemoryTopologyStore("memory"));
    private final ControllerServer server = ControllerServer.startReadOnly(registry, secret, NodeRegistry.Limits.DEFAULT,
            "127.0.0.1", 0, "write the chain elsewhere");

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void servesReadsAndReportsAndRefusesWrites() {
        registry.apply(ApplyDocument.parse("""
                functions: [{name: count, kind: counter, address: "127.0.0.1:4792"}]
                chains: [{name: web, functions: [count]}]
                egress: {address: "127.0.0.1:4794"}
                ingress: {address: "127.0.0.1:4790"}
                """), true, false, null);
        Http api = new Http(server.localUri(), server.token().value());
        assertThat(api.get("/api/v1/topology").json().get("chains").findValuesAsText("name")).containsExactly("web");

        for (Http.Response write : List.of(api.post("/api/v1/apply", "functions: []"), api.put("/api/v1/topology", "functions: []"),
                api.delete("/api/v1/chains/web"), api.post("/api/v1/functions", "{\"name\":\"x\",\"kind\":\"counter\",\"address\":\"a:1\"}"))) {
            assertThat(write.status()).as(write.body()).isEqualTo(405);
            assertThat(write.json().get("message").asText()).isEqualTo("write the chain elsewhere");
            assertThat(write.header("Allow")).isEqualTo("GET, HEAD");
        }
        assertThat(registry.state().topology().chain("web")).isNotNull();

        String token = secret.tokenFor("count-0");
        Http node = new Http(server.localUri(), token.substring(token.indexOf(':') + 1));
        Http.Response report = node.post("/api/v1/nodes/count-0/status",
                TopologyCodec.toJson(new NodeReport("sf", List.of("count"), registry.state().version(), Map.of())));
        assertThat(report.status()).as(report.body()).isEqualTo(200);
        assertThat(api.get("/api/v1/nodes/count-0").json().get("role").asText()).isEqualTo("sf");
    }
}
