package io.astaire.cli;

import io.astaire.controller.ControllerClient;
import io.astaire.controller.ControllerServer;
import io.astaire.controller.NodeRegistry;
import io.astaire.controller.NodeSecret;
import io.astaire.dataplane.classify.ClassifierLimit;
import io.astaire.model.ControllerProtocol;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code astaire controller}: the registry of functions, chains and rules, served over REST. */
@Command(name = "controller", mixinStandardHelpOptions = true,
        header = "Run the controller: the registry of functions, chains and rules (REST API, SQLite).",
        description = {
                "Run the controller: the registry of functions, chains and classifier rules, stored in an embedded "
                        + "SQLite file and served as a REST API (JSON) on --listen. Nodes started with "
                        + "--controller URL watch it and apply every change live.%n",
                "Reads are open; writes need the bearer token. Without --token or ASTAIRE_TOKEN the controller "
                        + "generates one at first start, prints it once and keeps it beside the database (<db>.token).%n",
                "Nodes report their status with a node token derived from the node secret (a second secret: "
                        + "--node-token-file, else $ASTAIRE_NODE_TOKEN, else <db>.node-token, generated at first start). "
                        + "Give a node the secret file, or its own token from --print-node-token NAME.%n",
                "One controller per database: a second one on the same --db exits with 'database in use by pid N'.%n",
                "With --kubernetes (the operator mode, in a cluster) there is no database: the chains are ServiceChain "
                        + "resources (kubectl apply), the API serves them to the nodes and takes no writes, and the replica "
                        + "holding the Lease --lease applies each ServiceChain's Deployments and Services and writes its "
                        + "status. Run two replicas: when the leader dies the other takes over. docs/operator.md has more.%n"},
        footer = {"%nExamples:",
                "  astaire controller                      # ./astaire.db, 0.0.0.0:8080",
                "  astaire controller --db /var/lib/astaire/astaire.db --listen 127.0.0.1:8080",
                "  ASTAIRE_TOKEN=s3cret astaire controller",
                "  export ASTAIRE_TOKEN=$(cat astaire.db.token)",
                "  astaire controller --print-node-token sf-acl-0 > sf-acl-0.token   # for: astaire sf --node-token-file sf-acl-0.token",
                "  astaire apply -f examples/chain.yaml",
                "  astaire controller --kubernetes --print-manifests --namespace sfc | kubectl apply -f -",
                "  astaire controller --kubernetes --print-webhook-manifests --namespace sfc | kubectl apply -f -   # with cert-manager",
                "  astaire controller --kubernetes                # in a pod: namespace, identity from the downward API",
                "%nAPI: GET /api/v1/openapi.json describes it; docs/controller.md has more.",
                "Back up: astaire get topology -o yaml > backup.yaml (restore: apply --prune),",
                "or stop the controller and copy the .db file."})
final class ControllerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--db", paramLabel = "FILE", defaultValue = "astaire.db",
            description = "The SQLite database file, created with its folder when missing (default: ${DEFAULT-VALUE}).")
    Path db;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:8080",
            description = "Where the REST API listens (default: ${DEFAULT-VALUE}; port 0 picks a free one).")
    String listen;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "The bearer token that writes must carry (default: $" + ControllerClient.TOKEN_ENV
                    + ", else generated at first start and kept in <db>.token).")
    String token;

    @Option(names = "--node-token-file", paramLabel = "FILE",
            description = "The node secret node tokens derive from (default: $" + ControllerProtocol.NODE_TOKEN_ENV
                    + ", else <db>.node-token, generated at first start). Must be readable by its owner only.")
    Path nodeTokenFile;

    @Option(names = "--print-node-token", paramLabel = "NAME",
            description = "Print the token of node NAME (NAME:TOKEN, valid for that name only) and exit.")
    String printNodeToken;

    @Option(names = "--max-nodes", paramLabel = "N", defaultValue = "10000",
            description = "How many nodes' status the controller keeps; a new node past it is refused (429) (default: ${DEFAULT-VALUE}).")
    int maxNodes;

    @Option(names = "--node-expiry", paramLabel = "DURATION", defaultValue = "10m",
            description = "How long a node that stopped reporting is listed before it is forgotten (default: ${DEFAULT-VALUE}).")
    String nodeExpiry;

    @Option(names = "--switch-timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "How long the edges keep sending by the previous version while a node on a changed path has not "
                    + "reported the new one; then they switch anyway and the controller logs which nodes it waited for "
                    + "(default: ${DEFAULT-VALUE}).")
    String switchTimeout;

    @Option(names = "--max-classifier-memory", paramLabel = "SIZE", defaultValue = "64MiB",
            description = "The most memory an edge's classifier may take (rules and index, about 200 bytes a rule): a write "
                    + "whose rule set would take more is refused (422) and stores nothing. Give the edges the same "
                    + "--max-classifier-memory (default: ${DEFAULT-VALUE}).")
    String maxClassifierMemory;

    @Option(names = "--kubernetes",
            description = "Operator mode: the store is the Kubernetes API server (ServiceChain resources) instead of --db; "
                    + "needs the node secret in $" + ControllerProtocol.NODE_TOKEN_ENV + " or --node-token-file.")
    boolean kubernetes;

    @Option(names = "--namespace", paramLabel = "NS",
            description = "With --kubernetes: the namespace whose ServiceChains to run (default: $POD_NAMESPACE, else the kubeconfig's).")
    String namespace;

    @Option(names = "--image", paramLabel = "IMAGE",
            description = "With --kubernetes: the image the chains' pods run (default: $ASTAIRE_IMAGE, else "
                    + io.astaire.k8s.RenderOptions.DEFAULT_IMAGE + ").")
    String image;

    @Option(names = "--identity", paramLabel = "NAME",
            description = "With --kubernetes: this replica's name in the Lease (default: $POD_NAME, else the host name).")
    String identity;

    @Option(names = "--lease", paramLabel = "NAME", defaultValue = io.astaire.operator.Operator.Settings.DEFAULT_LEASE,
            description = "With --kubernetes: the Lease the replicas elect a leader with (default: ${DEFAULT-VALUE}).")
    String lease;

    @Option(names = "--print-manifests",
            description = "With --kubernetes: print the CRD, RBAC, Deployment and Service that install the operator in --namespace, and exit.")
    boolean printManifests;

    @Option(names = "--print-webhook-manifests",
            description = "With --kubernetes: print what adds the pod injection webhook to that install (a cert-manager Issuer and "
                    + "Certificate, the operator Deployment with the webhook on, its Service, the MutatingWebhookConfiguration), and exit.")
    boolean printWebhookManifests;

    @Option(names = "--webhook-cert", paramLabel = "FILE",
            description = "With --kubernetes: serve the pod injection webhook over HTTPS with this PEM certificate (then its chain), "
                    + "e.g. tls.crt of a kubernetes.io/tls Secret; needs --webhook-key. Off without it.")
    Path webhookCert;

    @Option(names = "--webhook-key", paramLabel = "FILE",
            description = "With --kubernetes: the webhook certificate's private key, PEM PKCS#8 (tls.key).")
    Path webhookKey;

    @Option(names = "--webhook-listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:" + io.astaire.operator.Operator.Webhook.DEFAULT_PORT,
            description = "With --kubernetes and --webhook-cert: where the webhook listens (default: ${DEFAULT-VALUE}).")
    String webhookListen;

    /** Released to stop a controller started from a test; the process stops it with SIGTERM/Ctrl-C. */
    final CountDownLatch stop = new CountDownLatch(1);

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String[] hostPort;
        try {
            hostPort = hostPort(listen);
        } catch (IllegalArgumentException e) {
            err.println("astaire controller: --listen: " + e.getMessage());
            return 2;
        }
        if (kubernetes) {
            for (String sqliteOnly : new String[] {"--db", "--token", "--print-node-token"}) {
                if (spec.commandLine().getParseResult().hasMatchedOption(sqliteOnly)) {
                    err.println("astaire controller: " + sqliteOnly + " is for the SQLite controller; with --kubernetes the chains live in the API server");
                    return 2;
                }
            }
            NodeRegistry.Limits kubeLimits;
            java.time.Duration kubeSwitch;
            try {
                kubeSwitch = SfCommand.duration("--switch-timeout", switchTimeout);
                kubeLimits = new NodeRegistry.Limits(maxNodes, SfCommand.duration("--node-expiry", nodeExpiry),
                        NodeRegistry.Limits.DEFAULT.defaultReportInterval());
            } catch (IllegalArgumentException e) {
                err.println("astaire controller: " + e.getMessage());
                return 2;
            }
            io.astaire.operator.Operator.Webhook webhook = null;
            if (webhookCert != null || webhookKey != null) {
                if (webhookCert == null || webhookKey == null) {
                    err.println("astaire controller: the webhook needs both --webhook-cert and --webhook-key");
                    return 2;
                }
                String[] webhookHostPort;
                try {
                    webhookHostPort = hostPort(webhookListen);
                } catch (IllegalArgumentException e) {
                    err.println("astaire controller: --webhook-listen: " + e.getMessage());
                    return 2;
                }
                webhook = new io.astaire.operator.Operator.Webhook(webhookHostPort[0], Integer.parseInt(webhookHostPort[1]), webhookCert, webhookKey);
            } else if (spec.commandLine().getParseResult().hasMatchedOption("--webhook-listen")) {
                err.println("astaire controller: --webhook-listen needs --webhook-cert and --webhook-key");
                return 2;
            }
            return KubernetesMode.run(new KubernetesMode.Options(namespace, identity, image, lease, printManifests, printWebhookManifests,
                    nodeTokenFile, hostPort[0], Integer.parseInt(hostPort[1]), kubeLimits, kubeSwitch, webhook), out, err, stop);
        }
        for (String kubeOnly : new String[] {"--namespace", "--image", "--identity", "--lease", "--print-manifests", "--print-webhook-manifests", "--webhook-cert",
                "--webhook-key", "--webhook-listen"}) {
            if (spec.commandLine().getParseResult().hasMatchedOption(kubeOnly)) {
                err.println("astaire controller: " + kubeOnly + " needs --kubernetes");
                return 2;
            }
        }
        String t = token != null ? token : System.getenv(ControllerClient.TOKEN_ENV);
        NodeSecret nodeSecret;
        NodeRegistry.Limits limits;
        java.time.Duration switchAfter;
        ClassifierLimit classifierLimit;
        try {
            classifierLimit = ClassifierLimit.parse(maxClassifierMemory);
            switchAfter = SfCommand.duration("--switch-timeout", switchTimeout);
            nodeSecret = nodeSecret();
            limits = new NodeRegistry.Limits(maxNodes, SfCommand.duration("--node-expiry", nodeExpiry),
                    NodeRegistry.Limits.DEFAULT.defaultReportInterval());
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("astaire controller: " + e.getMessage());
            return 2;
        }
        if (printNodeToken != null) {
            out.println(nodeSecret.tokenFor(printNodeToken));
            out.flush();
            return 0;
        }
        ControllerServer server;
        try {
            server = ControllerServer.open(db, hostPort[0], Integer.parseInt(hostPort[1]), t, nodeSecret, limits);
            server.readiness().switchTimeout(switchAfter);
            server.registry().classifierLimit(classifierLimit);
        } catch (RuntimeException e) {
            err.println("astaire controller: " + e.getMessage()
                    + (String.valueOf(e.getMessage()).contains("bind") || e.getCause() instanceof java.net.BindException
                    ? " (is another controller already listening on " + listen + "?)" : ""));
            return 1;
        }
        String shown = hostPort[0].equals("0.0.0.0") || hostPort[0].equals("::") ? "127.0.0.1" : hostPort[0];
        String url = "http://" + (shown.contains(":") ? "[" + shown + "]" : shown) + ":" + server.port();
        out.println("astaire controller: listening on " + hostPort[0] + ":" + server.port() + ", database "
                + db.toAbsolutePath().normalize() + " (version " + server.registry().state().version() + ")");
        out.println("  API: " + url + "/api/v1 (description: " + url + "/api/v1/openapi.json)");
        if (server.token().generated()) {
            out.println("  generated the write token (shown once; kept in " + server.token().file() + "):");
            out.println("    export " + ControllerClient.TOKEN_ENV + "=" + server.token().value());
        } else if (server.token().file() != null) {
            out.println("  write token: in " + server.token().file());
        } else {
            out.println("  write token: the one given with --token or $" + ControllerClient.TOKEN_ENV);
        }
        out.println("  node token: " + (server.nodeSecret().file() != null
                ? "the secret in " + server.nodeSecret().file() + " (nodes: --node-token-file FILE)"
                : "the secret given in $" + ControllerProtocol.NODE_TOKEN_ENV));
        out.println("  try: astaire apply -f examples/chain.yaml --controller " + url);
        out.flush();
        return RunUntilStopped.await(stop, "controller-shutdown", server::close);
    }

    /** The node secret: --node-token-file, else $ASTAIRE_NODE_TOKEN, else the one beside the database. */
    private NodeSecret nodeSecret() {
        if (nodeTokenFile != null) {
            return NodeSecret.fromFile(nodeTokenFile);
        }
        String env = System.getenv(ControllerProtocol.NODE_TOKEN_ENV);
        return env != null && !env.isBlank() ? NodeSecret.given(env) : NodeSecret.besideDatabase(db);
    }

    /** {@code host:port}, {@code [v6]:port} or {@code :port} (all interfaces). */
    static String[] hostPort(String s) {
        String text = s.trim();
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + s + "' is not HOST:PORT (for example 0.0.0.0:8080)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            host = "0.0.0.0";
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "': the port is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'" + s + "': the port is outside 0-65535");
        }
        return new String[] {host, Integer.toString(port)};
    }
}
