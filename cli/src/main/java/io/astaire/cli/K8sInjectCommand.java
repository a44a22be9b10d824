package io.astaire.cli;

import io.astaire.k8s.Names;
import io.astaire.k8s.RenderOptions;
import io.astaire.k8s.inject.ChainRoutes;
import io.astaire.k8s.inject.InjectException;
import io.astaire.k8s.inject.InjectOptions;
import io.astaire.k8s.inject.SidecarRole;
import io.astaire.k8s.inject.WorkloadInjector;
import io.astaire.model.EndpointSpec;
import io.astaire.model.IpPrefix;
import io.astaire.model.ModelException;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code astaire k8s inject}: sidecar edges into workload manifests, in the spirit of {@code linkerd inject}. */
@Command(name = "inject", mixinStandardHelpOptions = true,
        description = {
                "Add the ingress (--role client) or the egress (--role server) as a sidecar to every pod in Kubernetes YAML "
                        + "(Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob; several documents; a List) and write "
                        + "the result to stdout. The sidecar's TUN device lives in the pod's own network namespace and the sidecar "
                        + "routes the chain's prefixes into it itself, so traffic between pods is plain pod-to-pod UDP to port 4790.",
                "The sidecar is a native sidecar (Kubernetes 1.29+) with NET_ADMIN and the node's /dev/net/tun, nothing more; "
                        + "the pod must be allowed that (Pod Security 'privileged' level), and must not use hostNetwork. "
                        + "Documents without pods and pods injected already are copied unchanged: injecting twice is injecting once.",
                "Example: kubectl get deploy shop -o yaml | astaire k8s inject -f - --chain web --chain-file chain.yaml | kubectl apply -f -"})
final class K8sInjectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "WORKLOAD", description = "Kubernetes YAML to inject into ('-' for stdin).")
    String file;

    @Option(names = "--chain", required = true, paramLabel = "NAME", description = "The chain the workload joins.")
    String chain;

    @Option(names = "--role", paramLabel = "client|server", defaultValue = "client",
            description = "client: the ingress sidecar (traffic the pod sends to the chain's destinations enters the chain); "
                    + "server: the egress sidecar (the chain delivers inside the pod; replies go back through it) (default: ${DEFAULT-VALUE}).")
    String role;

    @Option(names = "--chain-file", paramLabel = "CHAIN",
            description = "The chain spec: the routes come from the chain's rules (client: their destinations; server: their sources). "
                    + "Required unless --route is given.")
    Path chainFile;

    @Option(names = "--route", paramLabel = "CIDR", description = "Route CIDR into the sidecar instead of what the chain's rules say (repeatable).")
    List<String> routes = new ArrayList<>();

    @Option(names = "--instance", paramLabel = "NAME", defaultValue = RenderOptions.DEFAULT_INSTANCE,
            description = "The chain instance ('k8s render --instance'), put on the pod as label " + WorkloadInjector.MEMBER_LABEL + " (default: ${DEFAULT-VALUE}).")
    String instance;

    @Option(names = "--image", paramLabel = "IMAGE", defaultValue = RenderOptions.DEFAULT_IMAGE, description = "Astaire container image (default: ${DEFAULT-VALUE}).")
    String image;

    @Option(names = "--tun", paramLabel = "NAME", defaultValue = RenderOptions.DEFAULT_TUN, description = "TUN device in the pod (default: ${DEFAULT-VALUE}).")
    String tun;

    @Option(names = "--port", paramLabel = "N",
            description = "The sidecar's UDP port (default: the port of the chain's ingress or egress in --chain-file, else " + InjectOptions.DEFAULT_PORT + ").")
    Integer port;

    @Option(names = "--metrics-port", paramLabel = "N", defaultValue = "" + Names.METRICS_PORT,
            description = "Where the sidecar serves /metrics, /healthz, /readyz (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--config-map", paramLabel = "NAME", defaultValue = Names.CHAIN_CONFIG,
            description = "The ConfigMap with the in-cluster chain spec that 'k8s render' made, in the workload's namespace (default: ${DEFAULT-VALUE}).")
    String configMap;

    @Option(names = "--controller", paramLabel = "URL", description = "Read the topology from this controller instead of the ConfigMap, e.g. http://astaire-controller.astaire:8080.")
    URI controller;

    @Option(names = "--skip-unknown", description = "Copy objects of kinds astaire does not know unchanged instead of failing.")
    boolean skipUnknown;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        String command = "astaire k8s inject";
        WorkloadInjector.Result result;
        try {
            SidecarRole sidecarRole = SidecarRole.parse(role);
            List<IpPrefix> prefixes = routes.isEmpty() ? chainRoutes(sidecarRole) : IngressCommand.EdgeOptions.prefixes("--route", routes);
            InjectOptions options = new InjectOptions(chain, sidecarRole, prefixes, instance, image, tun, sidecarPort(sidecarRole), metricsPort,
                    configMap, controller);
            result = new WorkloadInjector(options, skipUnknown).inject(readInput(), file.equals("-") ? "stdin" : file);
        } catch (IllegalArgumentException | InjectException e) {
            err.println(command + ": " + e.getMessage());
            return 1;
        } catch (ModelException e) {
            err.println(command + ": " + chainFile + ": " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println(command + ": cannot read " + file + ": " + e.getMessage());
            return 1;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(result.yaml());
        out.flush();
        result.outcomes().forEach(o -> err.println(command + ": " + o));
        return 0;
    }

    /** --port, else the port the chain gives the edge the sidecar plays (the nodes send it there), else 4790. */
    private int sidecarPort(SidecarRole sidecarRole) {
        if (port != null) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("--port must be within 1-65535, was " + port);
            }
            return port;
        }
        if (chainFile == null) {
            return InjectOptions.DEFAULT_PORT;
        }
        Topology topology = TopologyCodec.read(chainFile);
        EndpointSpec edge = sidecarRole == SidecarRole.CLIENT ? topology.ingress() : topology.egress();
        return edge == null || edge.address() == null ? InjectOptions.DEFAULT_PORT : edge.address().port();
    }

    private List<IpPrefix> chainRoutes(SidecarRole sidecarRole) {
        if (chainFile == null) {
            throw new IllegalArgumentException("give --chain-file CHAIN (the routes come from the chain's rules) or the prefixes with --route");
        }
        Topology topology = TopologyCodec.read(chainFile);
        return ChainRoutes.of(topology, chain, sidecarRole);
    }

    private String readInput() throws IOException {
        return file.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : Files.readString(Path.of(file));
    }
}
