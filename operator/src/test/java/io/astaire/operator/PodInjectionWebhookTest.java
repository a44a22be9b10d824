package io.astaire.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.astaire.controller.NodeSecret;
import io.astaire.k8s.RenderOptions;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pod injection webhook over real TLS (a certificate made with openssl, as an operator's
 * cert-manager or script would), answering AdmissionReviews as the API server sends them, with
 * the ServiceChain served by an operator running against the mock API server. Each JSON Patch
 * it returns is applied with fabric8's zjsonpatch, as the API server applies it.
 */
class PodInjectionWebhookTest {
    private static final String NS = "sfc";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final tools.jackson.databind.ObjectMapper PATCH_JSON = new tools.jackson.databind.json.JsonMapper();

    @TempDir
    Path dir;

    private final MockCluster cluster = new MockCluster();
    private final NamespacedKubernetesClient kubectl = cluster.client();
    private final NamespacedKubernetesClient operatorClient = cluster.client();
    private Operator operator;
    private HttpClient https;
    private URI webhook;

    @BeforeEach
    void start() throws Exception {
        Path cert = dir.resolve("tls.crt");
        Path key = dir.resolve("tls.key");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "1",
                "-subj", "/CN=astaire-operator-webhook." + NS + ".svc", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        operator = Operator.start(operatorClient, Operator.Settings.of(NS, "op-0", RenderOptions.defaults().withImage("astaire:test"),
                        "127.0.0.1", 0, NodeSecret.random())
                .withElectionTiming(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(300))
                .withWebhook(new Operator.Webhook("127.0.0.1", 0, cert, key)));
        kubectl.resource(MockCluster.chain(Chains.web(NS))).inNamespace(NS).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> operator.registry("web") != null
                && operator.registry("web").state().topology().chain("web") != null);
        https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trusting(cert)).build();
        webhook = URI.create("https://127.0.0.1:" + operator.webhookPort() + PodInjectionWebhook.PATH);
    }

    @AfterEach
    void stop() {
        operator.close();
        operatorClient.close();
        kubectl.close();
        cluster.close();
    }

    private static final String CLIENT_POD = """
            apiVersion: v1
            kind: Pod
            metadata:
              generateName: shop-client-
              labels: {app: shop-client, astaire.io/inject: client}
              annotations: {astaire.io/inject-chain: web}
            spec:
              containers:
              - {name: app, image: "curlimages/curl:8.10.1", args: [sleep, infinity]}
            """;

    @Test
    void aClientPodGetsTheIngressSidecarWatchingItsChainsOwnApi() throws Exception {
        JsonNode pod = new YAMLMapper().readTree(CLIENT_POD);
        JsonNode response = review(pod, NS);
        assertThat(response.path("allowed").asBoolean()).as(response.toString()).isTrue();
        assertThat(response.path("patchType").asText()).isEqualTo("JSONPatch");

        JsonNode injected = applyPatch(pod, response);
        JsonNode sidecar = injected.path("spec").path("initContainers").get(0);
        assertThat(sidecar.path("name").asText()).isEqualTo("astaire-ingress");
        assertThat(sidecar.path("image").asText()).isEqualTo("astaire:test");
        assertThat(sidecar.path("restartPolicy").asText()).isEqualTo("Always");
        List<String> args = new ArrayList<>();
        sidecar.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args).startsWith("ingress")
                .containsSequence("--controller", "http://web-controller:8080/servicechains/web")
                .containsSequence("--listen", "0.0.0.0:4790")
                .containsSequence("--route", "10.20.0.0/24");
        assertThat(injected.path("metadata").path("labels").path("app").asText()).isEqualTo("shop-client");
        assertThat(injected.path("spec").path("containers").get(0).path("name").asText()).isEqualTo("app");
        assertThat(injected.path("spec").path("volumes").findValuesAsText("name")).contains("astaire-tun");

        // The pod as the API server stores it, sent again (a re-admission): nothing more to add.
        JsonNode again = review(injected, NS);
        assertThat(again.path("allowed").asBoolean()).isTrue();
        assertThat(again.has("patch")).as(again.toString()).isFalse();
    }

    @Test
    void aPodThatCannotJoinTheChainItAsksForIsRefusedWithTheReason() throws Exception {
        assertRefused(CLIENT_POD.replace("astaire.io/inject-chain: web", "astaire.io/inject-chain: shop"),
                "no ServiceChain 'shop' in namespace sfc (served: web)");
        assertRefused(CLIENT_POD.replace("astaire.io/inject: client", "astaire.io/inject: router"),
                "label astaire.io/inject must be client (the ingress) or server (the egress), was 'router'");
        assertRefused(CLIENT_POD.replace("  annotations: {astaire.io/inject-chain: web}\n", ""),
                "annotation astaire.io/inject-chain must name the ServiceChain (served: web)");
        assertRefused(CLIENT_POD.replace("inject-chain: web", "inject-chain: web/other"), "the chain spec has no such chain");
        // The chain's one rule names no source: a server's egress would have no route back to the clients.
        assertRefused(CLIENT_POD.replace("astaire.io/inject: client", "astaire.io/inject: server"), "no rule of the chain names a source prefix");
        JsonNode elsewhere = review(new YAMLMapper().readTree(CLIENT_POD), "default");
        assertThat(elsewhere.path("allowed").asBoolean()).isFalse();
        assertThat(elsewhere.path("status").path("message").asText()).contains("injects pods of namespace sfc, not default");
    }

    @Test
    void aPodThatDoesNotAskIsLeftAloneAndWhatIsNotAReviewIsRefusedByStatus() throws Exception {
        JsonNode plain = review(new YAMLMapper().readTree(CLIENT_POD.replace(", astaire.io/inject: client", "")), NS);
        assertThat(plain.path("allowed").asBoolean()).isTrue();
        assertThat(plain.has("patch")).isFalse();

        HttpResponse<String> notJson = https.send(HttpRequest.newBuilder(webhook).POST(HttpRequest.BodyPublishers.ofString("{nope"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.body()).contains("not JSON");
        HttpResponse<String> noRequest = https.send(HttpRequest.newBuilder(webhook).POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"AdmissionReview\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noRequest.statusCode()).isEqualTo(400);
        assertThat(noRequest.body()).contains("no request.uid");
        HttpResponse<String> get = https.send(HttpRequest.newBuilder(webhook).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        // And it still answers.
        assertThat(review(new YAMLMapper().readTree(CLIENT_POD), NS).path("allowed").asBoolean()).isTrue();
    }

    @Test
    void aKeyThatIsNotPkcs8IsRefusedAtStartNamingTheFile() throws Exception {
        Path cert = dir.resolve("rsa.crt");
        Path key = dir.resolve("rsa.key");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "1",
                "-subj", "/CN=x");
        Path pkcs1 = dir.resolve("pkcs1.key");
        openssl("rsa", "-in", key.toString(), "-traditional", "-out", pkcs1.toString());
        assertThatThrownBy(() -> PemKeyStore.serverContext(cert, pkcs1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--webhook-key " + pkcs1).hasMessageContaining("RSA PRIVATE KEY, not a PKCS#8 PRIVATE KEY");
        assertThatThrownBy(() -> PemKeyStore.serverContext(key, key)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--webhook-cert " + key);
    }

    @Test
    void aRenewedCertificateIsServedWithoutARestartAndABrokenRenewalKeepsTheLastGoodOne() throws Exception {
        Path cert = dir.resolve("renewed/tls.crt");
        Path key = dir.resolve("renewed/tls.key");
        Files.createDirectories(cert.getParent());
        Path firstCert = dir.resolve("first.crt");
        Path secondCert = dir.resolve("second.crt");
        certificate(firstCert, dir.resolve("first.key"));
        certificate(secondCert, dir.resolve("second.key"));
        Files.copy(firstCert, cert);
        Files.copy(dir.resolve("first.key"), key);
        PodInjectionWebhook.Source nothing = new PodInjectionWebhook.Source(NS, "astaire:test", name -> null, java.util.Set::of);
        try (PodInjectionWebhook alone = PodInjectionWebhook.start(nothing, PemKeyStore.serverContext(cert, key, Duration.ZERO), "127.0.0.1", 0)) {
            URI uri = URI.create("https://127.0.0.1:" + alone.port() + PodInjectionWebhook.PATH);
            assertThat(answers(uri, firstCert)).isTrue();
            assertThat(answers(uri, secondCert)).isFalse();

            // The kubelet swaps a Secret's files in place: the next handshake is made with the new pair.
            Files.copy(secondCert, cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(dir.resolve("second.key"), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            await().atMost(Duration.ofSeconds(10)).until(() -> answers(uri, secondCert));
            assertThat(answers(uri, firstCert)).isFalse();

            // A renewal that cannot be used (half written, wrong format) leaves the last good pair in use.
            Files.writeString(key, "not a key\n");
            assertThat(answers(uri, secondCert)).isTrue();
            assertThat(answers(uri, secondCert)).isTrue();
        }
    }

    /** Whether {@code uri} completes a TLS handshake with a client that trusts only {@code trusted}, and answers. */
    private static boolean answers(URI uri, Path trusted) throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trusting(trusted)).build()) {
            return client.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 400;
        } catch (java.io.IOException e) {
            return false; // the handshake failed: the server's certificate is not the trusted one
        }
    }

    private void certificate(Path cert, Path key) throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "1",
                "-subj", "/CN=astaire-operator-webhook." + NS + ".svc", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
    }

    private void assertRefused(String podYaml, String reason) throws Exception {
        JsonNode response = review(new YAMLMapper().readTree(podYaml), NS);
        assertThat(response.path("allowed").asBoolean()).as(response.toString()).isFalse();
        assertThat(response.path("status").path("code").asInt()).isEqualTo(403);
        assertThat(response.path("status").path("message").asText()).contains(reason);
    }

    /** Sends {@code pod} for creation in {@code namespace}, as the API server does; returns the review's response. */
    private JsonNode review(JsonNode pod, String namespace) throws Exception {
        ObjectNode review = JSON.createObjectNode().put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview");
        ObjectNode request = review.putObject("request").put("uid", "705ab4f5-6393-11e8-b7cc-42010a800002")
                .put("operation", "CREATE").put("namespace", namespace);
        request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
        request.set("object", pod);
        HttpResponse<String> r = https.send(HttpRequest.newBuilder(webhook).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(review.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(r.body());
        assertThat(answer.path("kind").asText()).isEqualTo("AdmissionReview");
        assertThat(answer.path("response").path("uid").asText()).isEqualTo("705ab4f5-6393-11e8-b7cc-42010a800002");
        return answer.path("response");
    }

    private static JsonNode applyPatch(JsonNode pod, JsonNode response) throws Exception {
        String patch = new String(Base64.getDecoder().decode(response.path("patch").asText()), StandardCharsets.UTF_8);
        tools.jackson.databind.JsonNode patched = JsonPatch.apply(PATCH_JSON.readTree(patch), PATCH_JSON.readTree(pod.toString()));
        return JSON.readTree(patched.toString());
    }

    private static SSLContext trusting(Path cert) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            trust.setCertificateEntry("webhook", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        return tls;
    }

    private static void openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("openssl is needed to make the webhook's test certificate (apt-get install openssl; "
                    + ".ci/install-test-tools installs it): " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("openssl " + String.join(" ", args) + ": " + out).isZero();
    }
}
