package io.astaire.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.operator.ServiceChainCrd;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code astaire controller --kubernetes}: its options, its manifests, and the command serving a ServiceChain from an API server. */
class ControllerKubernetesModeTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out) {}

    private static Run run(String... args) {
        ControllerCommand command = new ControllerCommand();
        CommandLine cli = new CommandLine(command);
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        return new Run(cli.execute(args), out.toString());
    }

    @Test
    void printsTheCrdRbacAndDeploymentForTheNamespace() {
        Run r = run("--kubernetes", "--print-manifests", "--namespace", "sfc", "--image", "registry.example/astaire:1");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("kind: \"CustomResourceDefinition\"", "name: \"servicechains.astaire.io\"", "kind: \"Role\"",
                "\"leases\"", "namespace: \"sfc\"", "registry.example/astaire:1", "\"--kubernetes\"");
    }

    @Test
    void printsTheWebhookForTheNamespaceAndRefusesAWebhookItCannotServe() throws Exception {
        Run manifests = run("--kubernetes", "--print-webhook-manifests", "--namespace", "sfc");
        assertThat(manifests.exit()).as(manifests.out()).isZero();
        assertThat(manifests.out()).contains("kind: \"MutatingWebhookConfiguration\"", "cert-manager.io/inject-ca-from: \"sfc/astaire-operator-webhook\"",
                "kind: \"Certificate\"", "\"--webhook-cert\"", "path: \"/mutate-pods\"", "key: \"astaire.io/inject\"");

        Run halfOfIt = run("--kubernetes", "--namespace", "sfc", "--webhook-cert", dir.resolve("tls.crt").toString());
        assertThat(halfOfIt.exit()).isEqualTo(2);
        assertThat(halfOfIt.out()).contains("the webhook needs both --webhook-cert and --webhook-key");
        Run noKubernetes = run("--webhook-cert", "a", "--webhook-key", "b", "--db", dir.resolve("z.db").toString());
        assertThat(noKubernetes.exit()).isEqualTo(2);
        assertThat(noKubernetes.out()).contains("--webhook-cert needs --kubernetes");

        // Files that are not a certificate and a key: refused at start, naming the option and the file, before the API server is asked.
        Path secret = dir.resolve("node-secret");
        Files.writeString(secret, "0123456789abcdef0123456789abcdef");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path notPem = dir.resolve("tls.crt");
        Files.writeString(notPem, "hello\n");
        Run bad = run("--kubernetes", "--namespace", "sfc", "--node-token-file", secret.toString(), "--listen", "127.0.0.1:0",
                "--webhook-cert", notPem.toString(), "--webhook-key", notPem.toString(), "--webhook-listen", "127.0.0.1:0");
        assertThat(bad.exit()).as(bad.out()).isEqualTo(2);
        assertThat(bad.out()).contains("--webhook-cert " + notPem).doesNotContain("is the ServiceChain CRD installed");
    }

    @Test
    void optionsOfTheOtherModeAreRefusedByName() {
        Run db = run("--kubernetes", "--db", dir.resolve("x.db").toString());
        assertThat(db.exit()).isEqualTo(2);
        assertThat(db.out()).contains("--db is for the SQLite controller");
        Run ns = run("--namespace", "sfc", "--db", dir.resolve("y.db").toString());
        assertThat(ns.exit()).isEqualTo(2);
        assertThat(ns.out()).contains("--namespace needs --kubernetes");
        assertThat(Files.exists(dir.resolve("y.db"))).isFalse();
    }

    @Test
    void servesEachServiceChainOfItsNamespaceToItsNodes() throws Exception {
        // CRUD mode; it answers no server-side apply, so only the serving half of the operator works here (the operator module tests the rest).
        KubernetesMockServer api = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new io.fabric8.mockwebserver.MockWebServer(),
                new java.util.HashMap<>(), new io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher(), false);
        api.init();
        try (NamespacedKubernetesClient kubectl = api.createClient()) {
            kubectl.apiextensions().v1().customResourceDefinitions().resource(ServiceChainCrd.definition()).create();
            kubectl.resource(Serialization.unmarshal("""
                    apiVersion: astaire.io/v1alpha1
                    kind: ServiceChain
                    metadata: {name: web, namespace: sfc}
                    spec:
                      functions: [{name: count, kind: counter, port: 4792}]
                      chains: [{name: web, functions: [count]}]
                    """, GenericKubernetesResource.class)).inNamespace("sfc").create();
            Path secret = dir.resolve("node-secret");
            Files.writeString(secret, "0123456789abcdef0123456789abcdef");
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));

            System.setProperty("kubernetes.master", api.url("/"));
            System.setProperty("kubernetes.auth.tryKubeConfig", "false");
            ControllerCommand command = new ControllerCommand();
            CommandLine cli = new CommandLine(command);
            StringWriter out = new StringWriter();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(out, true));
            Thread t = Thread.ofPlatform().start(() -> cli.execute("--kubernetes", "--namespace", "sfc", "--identity", "cli-test",
                    "--node-token-file", secret.toString(), "--listen", "127.0.0.1:0"));
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> out.toString().contains("serving on"));
                Matcher port = Pattern.compile("serving on 127\\.0\\.0\\.1:(\\d+)").matcher(out.toString());
                assertThat(port.find()).as(out.toString()).isTrue();
                URI topology = URI.create("http://127.0.0.1:" + port.group(1) + "/servicechains/web/api/v1/topology");
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(topology).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                    assertThat(body).contains("count.sfc.svc.cluster.local:4792").contains("\"web\"");
                });
                // A node reports to its chain's URL with the token it derives from the node secret, and
                // describe, given the same URL, shows the chain and that node.
                String chainUrl = "http://127.0.0.1:" + port.group(1) + "/servicechains/web";
                try (var count = new io.astaire.dataplane.config.NodeStatusReporter(URI.create(chainUrl), "web-count-0",
                        Files.readString(secret), "sf", java.util.List.of("count"), () -> 1, () -> java.util.Map.of("count.packets", 42L),
                        Duration.ofMillis(100))) {
                    await().atMost(Duration.ofSeconds(10)).until(() -> count.reportsAccepted() > 0);
                    ControllerOpsCommandsTest.Run d = ControllerOpsCommandsTest.astaire("describe", "chain", "web", "--controller", chainUrl);
                    assertThat(d.exit()).as(d.err()).isZero();
                    assertThat(d.out()).contains("Chain:      web").containsPattern("count\\s+counter\\s+web-count\\.sfc\\.svc\\.cluster\\.local:4792"
                            + "\\s+web-count-0 v1, \\d+s ago: count\\.packets=42");
                }
            } finally {
                command.stop.countDown();
                t.join(15_000);
                System.clearProperty("kubernetes.master");
                System.clearProperty("kubernetes.auth.tryKubeConfig");
            }
        } finally {
            api.destroy();
        }
    }
}
