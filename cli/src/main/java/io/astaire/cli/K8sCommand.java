package io.astaire.cli;

import io.astaire.k8s.EdgeMode;
import io.astaire.k8s.ManifestRenderer;
import io.astaire.k8s.ManifestWriter;
import io.astaire.k8s.Names;
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
import picocli.CommandLine.ParameterException;
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
                    "Render the Kubernetes objects that run a chain: per function a Deployment and a headless Service "
                            + "(with a PodDisruptionBudget when scaled out), a NetworkPolicy for the functions, the ingress and egress, "
                            + "the controller, the chain ConfigMap and RBAC, every name prefixed with --instance.",
                    "With --edges sidecar the ingress and egress are sidecars of the workloads' pods (astaire k8s inject) and only their Services are rendered.",
                    "The node-local dnsmasq cache is shared by every chain of a cluster: install it once with --dnsmasq-only.",
                    "Apply with: astaire k8s render -f chain.yaml --instance web --token-file web.token | kubectl apply -f -"})
    static final class Render implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = {"-f", "--file"}, paramLabel = "CHAIN", description = "The chain spec (topology YAML/JSON); required unless --dnsmasq-only.")
        Path file;

        @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR", description = "Write one file per object into DIR instead of a YAML stream to stdout.")
        Path outputDir;

        @Option(names = {"-n", "--namespace"}, paramLabel = "NS", defaultValue = RenderOptions.DEFAULT_NAMESPACE, description = "Namespace of the chain's objects (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Option(names = "--instance", paramLabel = "NAME", defaultValue = RenderOptions.DEFAULT_INSTANCE,
                description = "The chain instance: prefix of every object's name and its app.kubernetes.io/instance label, "
                        + "so chains side by side never collide (default: ${DEFAULT-VALUE}).")
        String instance;

        @Option(names = "--image", paramLabel = "IMAGE", defaultValue = RenderOptions.DEFAULT_IMAGE, description = "Astaire container image (default: ${DEFAULT-VALUE}).")
        String image;

        @Option(names = "--no-dnsmasq", description = "Pods do not ask the node-local dnsmasq cache first (no DNS_IP).")
        boolean noDnsmasq;

        @Option(names = "--dnsmasq-only", description = "Render only the node-local dnsmasq DaemonSet, once per cluster, shared by every chain.")
        boolean dnsmasqOnly;

        @Option(names = "--no-network-policy", description = "Leave out the NetworkPolicy that lets only the chain's pods send NSH to its functions.")
        boolean noNetworkPolicy;

        @Option(names = "--dnsmasq-namespace", paramLabel = "NS", description = "Namespace of the dnsmasq DaemonSet, e.g. kube-system (default: the chain's).")
        String dnsmasqNamespace;

        @Option(names = "--dnsmasq-image", paramLabel = "IMAGE", description = "Image of the dnsmasq DaemonSet (default: --image, which has Debian's dnsmasq).")
        String dnsmasqImage;

        @Option(names = "--cluster-dns", paramLabel = "IP", defaultValue = RenderOptions.DEFAULT_CLUSTER_DNS, description = "Cluster DNS service IP dnsmasq forwards cluster.local to (default: ${DEFAULT-VALUE}).")
        String clusterDns;

        @Option(names = "--no-controller", description = "Leave out the controller (Deployment, Service, PVC, token Secret).")
        boolean noController;

        @Option(names = "--nodes-from-controller", description = "Nodes read their topology from the controller instead of the ConfigMap.")
        boolean nodesFromController;

        @Option(names = "--controller-token", paramLabel = "TOKEN", description = "The controller's API token (default: --token-file, ASTAIRE_TOKEN, else 256 random bits per render).")
        String controllerToken;

        @Option(names = "--token-file", paramLabel = "FILE",
                description = "Keep the controller token in FILE: read it when FILE exists, else write a new random one there (mode 0600), "
                        + "so that renders and re-applies keep the token and pods are not rolled.")
        Path tokenFile;

        @Option(names = "--controller-storage", paramLabel = "SIZE", defaultValue = "1Gi", description = "Size of the controller's database volume (default: ${DEFAULT-VALUE}).")
        String controllerStorage;

        @Option(names = "--edges", paramLabel = "MODE", defaultValue = "gateway",
                description = {"Where the ingress and egress run (default: ${DEFAULT-VALUE}):",
                        "gateway: two Deployments rendered here, which clients and servers route through;",
                        "sidecar: none rendered; the edges' Services and the NetworkPolicy select the workload pods "
                                + "'astaire k8s inject' gave sidecars (labels " + Names.MEMBER_LABEL + "=<instance>, "
                                + Names.EDGE_LABEL + "=ingress|egress)."})
        String edges;

        @Option(names = "--tun", paramLabel = "NAME", defaultValue = RenderOptions.DEFAULT_TUN, description = "TUN device of the ingress and egress pods (default: ${DEFAULT-VALUE}).")
        String tun;

        @Option(names = "--underlay-mtu", paramLabel = "N", description = "Pod network MTU for the edges (default: they read it from the pod's interface).")
        Integer underlayMtu;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            if (dnsmasqOnly) {
                return renderDnsmasq(err);
            }
            if (file == null) {
                throw new ParameterException(spec.commandLine(), "Missing required option: '--file=CHAIN' (or --dnsmasq-only)");
            }
            Topology chain;
            try {
                chain = TopologyCodec.read(file);
            } catch (ModelException e) {
                err.println("astaire k8s render: " + file + ": " + e.getMessage());
                return 1;
            }
            List<HasMetadata> objects;
            try {
                String token = controllerToken != null ? controllerToken
                        : tokenFile != null ? TokenFile.readOrCreate(tokenFile) : System.getenv("ASTAIRE_TOKEN");
                objects = new ManifestRenderer(options(token)).render(chain);
            } catch (IllegalArgumentException e) {
                err.println("astaire k8s render: " + e.getMessage());
                return 1;
            } catch (IOException e) {
                err.println("astaire k8s render: --token-file " + tokenFile + ": " + e.getMessage());
                return 1;
            }
            if (!noDnsmasq) {
                err.println("astaire k8s render: pods ask the node-local dnsmasq cache first; install it once per cluster with "
                        + "`astaire k8s render --dnsmasq-only | kubectl apply -f -` (without it they use the cluster DNS)");
            }
            return write(objects, err);
        }

        private RenderOptions options(String token) {
            return new RenderOptions(namespace, instance, image, !noDnsmasq,
                    dnsmasqNamespace != null ? dnsmasqNamespace : namespace, dnsmasqImage != null ? dnsmasqImage : image, clusterDns,
                    !noController, nodesFromController, token, controllerStorage, tun, underlayMtu, !noNetworkPolicy,
                    EdgeMode.parse(edges));
        }

        private int renderDnsmasq(PrintWriter err) {
            List<HasMetadata> objects;
            try {
                objects = new ManifestRenderer(options(null)).renderDnsmasq();
            } catch (IllegalArgumentException e) {
                err.println("astaire k8s render: " + e.getMessage());
                return 1;
            }
            return write(objects, err);
        }

        private int write(List<HasMetadata> objects, PrintWriter err) {
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
