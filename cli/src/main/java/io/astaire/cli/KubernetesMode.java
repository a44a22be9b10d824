package io.astaire.cli;

import io.astaire.controller.NodeRegistry;
import io.astaire.controller.NodeSecret;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.ControllerProtocol;
import io.astaire.operator.Operator;
import io.astaire.operator.OperatorManifests;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code astaire controller --kubernetes}: the operator mode. The chains are ServiceChain
 * resources in the API server; this process serves them to the nodes, and reconciles them while
 * it holds the Lease. Reads its namespace, identity and image from the pod (downward API) unless
 * the options say otherwise.
 */
final class KubernetesMode {
    private KubernetesMode() {}

    record Options(String namespace, String identity, String image, String lease, boolean printManifests,
                   boolean printWebhookManifests, Path nodeTokenFile,
                   String host, int port, NodeRegistry.Limits limits, java.time.Duration switchTimeout,
                   io.astaire.operator.Operator.Webhook webhook) {}

    static int run(Options o, PrintWriter out, PrintWriter err, CountDownLatch stop) {
        String image = first(o.image(), System.getenv("ASTAIRE_IMAGE"), RenderOptions.DEFAULT_IMAGE);
        if (o.printManifests() || o.printWebhookManifests()) {
            String ns = first(o.namespace(), System.getenv("POD_NAMESPACE"), "astaire");
            out.print(o.printManifests() ? OperatorManifests.yaml(ns, image) : OperatorManifests.webhookYaml(ns, image));
            out.flush();
            return 0;
        }
        NodeSecret secret;
        RenderOptions render;
        try {
            secret = nodeSecret(o.nodeTokenFile());
            render = RenderOptions.defaults().withImage(image);
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("astaire controller --kubernetes: " + e.getMessage());
            return 2;
        }
        KubernetesClient client = null;
        Operator operator;
        String namespace;
        try {
            client = new KubernetesClientBuilder().build();
            namespace = first(o.namespace(), System.getenv("POD_NAMESPACE"), client.getNamespace());
            if (namespace == null) {
                client.close();
                err.println("astaire controller --kubernetes: --namespace is required (no $POD_NAMESPACE, no namespace in the kubeconfig)");
                return 2;
            }
            String identity = first(o.identity(), System.getenv("POD_NAME"), hostname());
            Operator.Settings settings = Operator.Settings.of(namespace, identity, render, o.host(), o.port(), secret)
                    .withLease(o.lease()).withLimits(o.limits()).withSwitchTimeout(o.switchTimeout()).withWebhook(o.webhook());
            operator = Operator.start(client, settings);
        } catch (IllegalArgumentException e) {
            // A setting that cannot be used (the webhook's certificate, say): says which, not "is the CRD installed".
            err.println("astaire controller --kubernetes: " + e.getMessage());
            if (client != null) {
                client.close();
            }
            return 2;
        } catch (RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            err.println("astaire controller --kubernetes: cannot start: " + e.getMessage() + (root == e ? "" : " (" + root + ")")
                    + (client == null ? "" : "; the API server is " + client.getMasterUrl())
                    + "; is the ServiceChain CRD installed (kubectl apply -f deploy/operator/crd.yaml)?");
            if (client != null) {
                client.close();
            }
            return 1;
        }
        out.println("astaire controller: operator mode, ServiceChains in namespace " + namespace + " (lease " + o.lease() + "), "
                + "serving on " + o.host() + ":" + operator.server().port());
        if (operator.webhookPort() > 0) {
            out.println("  pod injection webhook on https://" + o.webhook().host() + ":" + operator.webhookPort()
                    + io.astaire.operator.PodInjectionWebhook.PATH + " (pods labelled " + io.astaire.operator.PodInjectionWebhook.INJECT_LABEL
                    + ": client|server, annotated " + io.astaire.operator.PodInjectionWebhook.CHAIN_ANNOTATION + ": <ServiceChain>)");
        }
        out.println("  each ServiceChain's nodes watch http://<chain>-controller:8080/servicechains/<chain> "
                + "(GET /servicechains lists them); change chains with kubectl apply -f servicechain.yaml");
        out.flush();
        KubernetesClient started = client;
        return RunUntilStopped.await(stop, "operator-shutdown", () -> {
            operator.close();
            started.close();
        });
    }

    private static NodeSecret nodeSecret(Path file) {
        if (file != null) {
            return NodeSecret.fromFile(file);
        }
        String env = System.getenv(ControllerProtocol.NODE_TOKEN_ENV);
        if (env == null || env.isBlank()) {
            throw new IllegalArgumentException("the node secret is required: set $" + ControllerProtocol.NODE_TOKEN_ENV
                    + " (the pod gets it from the Secret astaire-node-token) or --node-token-file");
        }
        return NodeSecret.given(env);
    }

    private static String hostname() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "astaire-controller-" + ProcessHandle.current().pid();
        }
    }

    private static String first(String... candidates) {
        for (String c : candidates) {
            if (c != null && !c.isBlank()) {
                return c;
            }
        }
        return null;
    }
}
