package io.astaire.cli;

import io.astaire.k8s.ManifestRenderer;
import io.astaire.k8s.ManifestWriter;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.ModelException;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code astaire k8s}: Kubernetes manifests for a chain. */
@Command(name = "k8s", mixinStandardHelpOptions = true,
        description = "Kubernetes: render the manifests for a chain; inject sidecar edges into workloads.",
        subcommands = {K8sCommand.Render.class, K8sInjectCommand.class})
final class K8sCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "render", mixinStandardHelpOptions = true,
            description = {
                    "Render the Kubernetes objects that run a chain: per function a Deployment and a headless Service, "
                            + "the ingress and egress, the controller, the chain ConfigMap, RBAC and the node-local dnsmasq cache.",
                    "Apply with: astaire k8s render -f chain.yaml | kubectl apply -f -"})
    static final class Render implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = {"-f", "--file"}, required = true, paramLabel = "CHAIN", description = "The chain spec (topology YAML/JSON).")
        Path file;

        @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR", description = "Write one file per object into DIR instead of a YAML stream to stdout.")
        Path outputDir;

        @Option(names = {"-n", "--namespace"}, paramLabel = "NS", defaultValue = RenderOptions.DEFAULT_NAMESPACE, description = "Namespace of the chain's objects (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Option(names = "--instance", paramLabel = "NAME", defaultValue = RenderOptions.DEFAULT_INSTANCE, description = "app.kubernetes.io/instance label (default: ${DEFAULT-VALUE}).")
        String instance;

        @Option(names = "--image", paramLabel = "IMAGE", defaultValue = RenderOptions.DEFAULT_IMAGE, description = "Astaire container image (default: ${DEFAULT-VALUE}).")
        String image;

        @Option(names = "--no-dnsmasq", description = "Leave out the node-local dnsmasq DaemonSet and the DNS_IP bootstrap.")
        boolean noDnsmasq;

        @Option(names = "--dnsmasq-namespace", paramLabel = "NS", description = "Namespace of the dnsmasq DaemonSet, e.g. kube-system (default: the chain's).")
        String dnsmasqNamespace;

        @Option(names = "--dnsmasq-image", paramLabel = "IMAGE", defaultValue = RenderOptions.DEFAULT_DNSMASQ_IMAGE, description = "dnsmasq image (default: ${DEFAULT-VALUE}).")
        String dnsmasqImage;

        @Option(names = "--cluster-dns", paramLabel = "IP", defaultValue = RenderOptions.DEFAULT_CLUSTER_DNS, description = "Cluster DNS service IP dnsmasq forwards cluster.local to (default: ${DEFAULT-VALUE}).")
        String clusterDns;

        @Option(names = "--no-controller", description = "Leave out the controller (Deployment, Service, PVC, token Secret).")
        boolean noController;

        @Option(names = "--nodes-from-controller", description = "Nodes read their topology from the controller instead of the ConfigMap.")
        boolean nodesFromController;

        @Option(names = "--controller-token", paramLabel = "TOKEN", description = "The controller's API token (default: ASTAIRE_TOKEN, else 256 random bits per render).")
        String controllerToken;

        @Option(names = "--controller-storage", paramLabel = "SIZE", defaultValue = "1Gi", description = "Size of the controller's database volume (default: ${DEFAULT-VALUE}).")
        String controllerStorage;

        @Option(names = "--tun", paramLabel = "NAME", defaultValue = RenderOptions.DEFAULT_TUN, description = "TUN device of the ingress and egress pods (default: ${DEFAULT-VALUE}).")
        String tun;

        @Option(names = "--underlay-mtu", paramLabel = "N", description = "Pod network MTU for the edges (default: they read it from the pod's interface).")
        Integer underlayMtu;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            Topology chain;
            try {
                chain = TopologyCodec.read(file);
            } catch (ModelException e) {
                err.println("astaire k8s render: " + file + ": " + e.getMessage());
                return 1;
            }
            List<HasMetadata> objects;
            try {
                String token = controllerToken != null ? controllerToken : System.getenv("ASTAIRE_TOKEN");
                RenderOptions options = new RenderOptions(namespace, instance, image, !noDnsmasq,
                        dnsmasqNamespace != null ? dnsmasqNamespace : namespace, dnsmasqImage, clusterDns,
                        !noController, nodesFromController, token, controllerStorage, tun, underlayMtu);
                objects = new ManifestRenderer(options).render(chain);
            } catch (IllegalArgumentException e) {
                err.println("astaire k8s render: " + e.getMessage());
                return 1;
            }
            if (outputDir == null) {
                PrintWriter out = spec.commandLine().getOut();
                out.print(ManifestWriter.toYamlStream(objects));
                out.flush();
                return 0;
            }
            try {
                List<Path> files = ManifestWriter.writeDirectory(objects, outputDir);
                err.println("astaire k8s render: wrote " + files.size() + " files to " + outputDir);
                return 0;
            } catch (IOException e) {
                err.println("astaire k8s render: cannot write " + outputDir + ": " + e.getMessage());
                return 1;
            }
        }
    }
}
