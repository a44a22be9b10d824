package io.astaire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code astaire k8s inject} from the command line: the sidecar's arguments are ones the real edges accept; errors exit 1 naming the cause. */
class K8sInjectCommandTest {
    private static final Path EXAMPLE = Path.of("../examples/chain.yaml");
    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: shop}
            spec:
              selector: {matchLabels: {app: shop}}
              template:
                metadata: {labels: {app: shop}}
                spec:
                  containers: [{name: shop, image: "shop:1"}]
            """;

    @Test
    void injectsTheIngressWhoseCommandLineTheRealIngressAccepts(@TempDir Path dir) throws Exception {
        Path workload = Files.writeString(dir.resolve("shop.yaml"), DEPLOYMENT);
        K8sCommandTest.Run r = K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "web", "--chain-file", EXAMPLE.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("Deployment/shop: injected the ingress of chain web, routes [10.20.0.0/24]");
        Deployment d = new KubernetesSerialization().unmarshal(r.out());
        Container sidecar = d.getSpec().getTemplate().getSpec().getInitContainers().getFirst();
        for (List<String> commandLine : List.of(sidecar.getArgs())) {
            var parsed = AstaireCommand.commandLine().parseArgs(commandLine.toArray(String[]::new));
            assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("ingress");
            assertThat(parsed.subcommand().unmatched()).isEmpty();
            assertThat(parsed.subcommand().matchedOptionValue("--route", List.of())).containsExactly("10.20.0.0/24");
        }
        // Twice is once, through the command too.
        Path injected = Files.writeString(dir.resolve("injected.yaml"), r.out());
        K8sCommandTest.Run again = K8sCommandTest.run("k8s", "inject", "-f", injected.toString(), "--chain", "web", "--chain-file", EXAMPLE.toString());
        assertThat(again.out()).isEqualTo(r.out());
    }

    @Test
    void theSidecarListensOnThePortTheChainGivesItsEdgeUnlessToldOtherwise(@TempDir Path dir) throws Exception {
        Path workload = Files.writeString(dir.resolve("shop.yaml"), DEPLOYMENT);
        // examples/chain.yaml: the ingress at port 4790, the egress at 4794
        assertThat(listenPort(K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "web", "--chain-file", EXAMPLE.toString())))
                .isEqualTo("4790");
        assertThat(listenPort(K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "web", "--role", "server",
                "--chain-file", EXAMPLE.toString(), "--route", "10.244.0.0/16"))).isEqualTo("4794");
        assertThat(listenPort(K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "web", "--role", "server",
                "--chain-file", EXAMPLE.toString(), "--route", "10.244.0.0/16", "--port", "5000"))).isEqualTo("5000");
        assertThat(listenPort(K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "web", "--route", "10.0.0.0/8")))
                .as("no chain file: the standard port").isEqualTo("4790");
        assertThat(K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "web", "--route", "10.0.0.0/8", "--port", "0").err())
                .contains("--port must be within 1-65535, was 0");
    }

    /** The port of the injected sidecar's --listen. */
    private static String listenPort(K8sCommandTest.Run r) {
        assertThat(r.exit()).as(r.err()).isZero();
        Deployment d = new KubernetesSerialization().unmarshal(r.out());
        List<String> args = d.getSpec().getTemplate().getSpec().getInitContainers().getFirst().getArgs();
        String listen = args.get(args.indexOf("--listen") + 1);
        return listen.substring(listen.lastIndexOf(':') + 1);
    }

    @Test
    void theServerNeedsReplyPrefixesTheExampleDoesNotNameSoItSaysHowToGiveThem(@TempDir Path dir) throws Exception {
        Path workload = Files.writeString(dir.resolve("db.yaml"), DEPLOYMENT);
        K8sCommandTest.Run r = K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "web", "--role", "server", "--chain-file", EXAMPLE.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no rule of the chain names a source prefix").contains("--route");
        assertThat(r.out()).isEmpty();

        K8sCommandTest.Run given = K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "web", "--role", "server", "--route", "10.244.0.0/16");
        assertThat(given.exit()).as(given.err()).isZero();
        Container sidecar = new KubernetesSerialization().<Deployment>unmarshal(given.out()).getSpec().getTemplate().getSpec().getInitContainers().getFirst();
        var parsed = AstaireCommand.commandLine().parseArgs(sidecar.getArgs().toArray(String[]::new));
        assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("egress");
        assertThat(parsed.subcommand().unmatched()).isEmpty();
    }

    @Test
    void badInputFailsNamingIt(@TempDir Path dir) throws Exception {
        Path workload = Files.writeString(dir.resolve("shop.yaml"), DEPLOYMENT);
        assertThat(K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "web").err()).contains("give --chain-file");
        assertThat(K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "web", "--role", "middle", "--route", "10.0.0.0/8").err())
                .contains("--role must be client");
        assertThat(K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "web", "--route", "10.0.0.300/8").err()).contains("--route 10.0.0.300/8");
        assertThat(K8sCommandTest.run("k8s", "inject", "-f", workload.toString(), "--chain", "nope", "--chain-file", EXAMPLE.toString()).err())
                .contains("--chain nope: the chain spec has no such chain (it has: web)");
        K8sCommandTest.Run missing = K8sCommandTest.run("k8s", "inject", "-f", dir.resolve("none.yaml").toString(), "--chain", "web", "--route", "10.0.0.0/8");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("cannot read").contains("none.yaml");
    }
}
