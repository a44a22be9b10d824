package io.astaire.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.astaire.k8s.ChainObjectNames;
import io.astaire.k8s.Names;
import io.astaire.k8s.inject.ChainRoutes;
import io.astaire.k8s.inject.InjectException;
import io.astaire.k8s.inject.InjectOptions;
import io.astaire.k8s.inject.SidecarRole;
import io.astaire.k8s.inject.WorkloadInjector;
import io.astaire.model.ChainSpec;
import io.astaire.model.ControllerProtocol;
import io.astaire.model.EndpointSpec;
import io.astaire.model.Topology;
import io.fabric8.zjsonpatch.JsonDiff;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mutating admission webhook that puts pods into a chain as they are created: a pod labelled
 * {@value #INJECT_LABEL}{@code : client} (or {@code server}) and annotated
 * {@value #CHAIN_ANNOTATION}{@code : <ServiceChain>} (or {@code <ServiceChain>/<chain>} when it
 * declares several) gets exactly the sidecar {@code astaire k8s inject} adds, configured from the
 * ServiceChain as the operator serves it: the routes its rules name, its edge's port, and the
 * chain's own API on the operator to watch and report to.
 *
 * <p>A pod that asks for a chain the webhook cannot put it in (no such ServiceChain, no route, a
 * bad role) is <em>refused</em>, with the reason: a workload meant to be behind an ACL must not
 * start without it. A pod without the label is allowed unchanged (the webhook's object selector
 * keeps the API server from even asking), and one injected already gets no patch. The API server
 * calls webhooks over HTTPS only, so this serves TLS with the certificate it is given
 * ({@link PemKeyStore}); every review runs on its own virtual thread.
 */
public final class PodInjectionWebhook implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PodInjectionWebhook.class);
    public static final String PATH = "/mutate-pods";
    public static final String INJECT_LABEL = "astaire.io/inject";
    public static final String CHAIN_ANNOTATION = "astaire.io/inject-chain";
    /** The API server refuses objects above 1.5 MiB; a review wraps one (twice for updates). */
    static final int MAX_REVIEW_BYTES = 4 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final tools.jackson.databind.ObjectMapper PATCH_JSON = new tools.jackson.databind.json.JsonMapper();

    /**
     * @param namespace the operator's namespace, the only one whose pods it injects
     * @param image the Astaire image of the sidecar (the operator's render image)
     * @param served a ServiceChain's topology as served now, or null when there is none of that name
     * @param names the ServiceChains served, for the message of a refusal
     */
    record Source(String namespace, String image, Function<String, Topology> served, Supplier<Set<String>> names) {}

    private final Source source;
    private final HttpsServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    private PodInjectionWebhook(Source source, HttpsServer server) {
        this.source = source;
        this.server = server;
    }

    /** Serves the webhook on {@code host:port} (0: any free port) with {@code tls}. */
    static PodInjectionWebhook start(Source source, SSLContext tls, String host, int port) throws IOException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(host, port), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        PodInjectionWebhook webhook = new PodInjectionWebhook(source, server);
        server.createContext(PATH, webhook::exchange);
        server.createContext("/", ex -> webhook.send(ex, 404, error("no such path: the webhook is at " + PATH)));
        server.setExecutor(webhook.executor);
        server.start();
        LOG.info("operator: injection webhook serving https://{}:{}{} (pods labelled {}: client|server in namespace {})", host,
                webhook.port(), PATH, INJECT_LABEL, source.namespace());
        return webhook;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void exchange(HttpExchange ex) throws IOException {
        // Not try-with-resources: its catch would run after the exchange is closed, and the 500 must still be sent.
        try {
            if (!ex.getRequestMethod().equals("POST")) {
                ex.getResponseHeaders().add("Allow", "POST");
                send(ex, 405, error("the webhook takes POST of an AdmissionReview"));
                return;
            }
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readNBytes(MAX_REVIEW_BYTES + 1);
            }
            if (body.length > MAX_REVIEW_BYTES) {
                send(ex, 413, error("an AdmissionReview is at most " + MAX_REVIEW_BYTES + " bytes"));
                return;
            }
            JsonNode review;
            try {
                review = JSON.readTree(body);
            } catch (JsonProcessingException e) {
                send(ex, 400, error("not JSON: " + e.getOriginalMessage()));
                return;
            }
            JsonNode request = review == null ? null : review.get("request");
            if (request == null || !request.hasNonNull("uid")) {
                send(ex, 400, error("not an AdmissionReview: no request.uid"));
                return;
            }
            send(ex, 200, JSON.writeValueAsBytes(answer(review, review(request))));
        } catch (RuntimeException e) {
            // One bad review must not stop the server; the API server applies the webhook's failurePolicy.
            LOG.error("operator: injection webhook failed on a review", e);
            send(ex, 500, error("internal error (the operator logged the cause)"));
        } finally {
            ex.close();
        }
    }

    /** What to answer {@code request}: allowed with a patch, allowed as it is, or refused with a reason. */
    ObjectNode review(JsonNode request) {
        String uid = request.get("uid").asText();
        JsonNode object = request.get("object");
        if (!"Pod".equals(request.path("kind").path("kind").asText()) || !(object instanceof ObjectNode pod)) {
            return allowed(uid, null); // the webhook is registered for pods; anything else is not ours to judge
        }
        JsonNode labels = pod.path("metadata").path("labels");
        if (!labels.hasNonNull(INJECT_LABEL)) {
            return allowed(uid, null);
        }
        String name = pod.path("metadata").path("name").asText(pod.path("metadata").path("generateName").asText("") + "<generated>");
        String namespace = request.path("namespace").asText(pod.path("metadata").path("namespace").asText(""));
        try {
            if (!namespace.equals(source.namespace())) {
                throw new InjectException("this operator injects pods of namespace " + source.namespace() + ", not " + namespace);
            }
            ArrayNode patch = patch(pod, labels.get(INJECT_LABEL).asText(), pod.path("metadata").path("annotations").path(CHAIN_ANNOTATION).asText(null));
            if (!patch.isEmpty()) {
                LOG.info("operator: injected pod {}/{} ({} operations)", namespace, name, patch.size());
            }
            return allowed(uid, patch.isEmpty() ? null : patch);
        } catch (InjectException | IllegalArgumentException e) {
            LOG.warn("operator: refused pod {}/{}: {}", namespace, name, e.getMessage());
            return refused(uid, "astaire: " + e.getMessage());
        }
    }

    /** The JSON Patch that injects {@code pod} as {@code role} of {@code chainRef} (empty: nothing to add). */
    private ArrayNode patch(ObjectNode pod, String role, String chainRef) {
        SidecarRole sidecar;
        try {
            sidecar = SidecarRole.parse(role);
        } catch (IllegalArgumentException e) {
            throw new InjectException("label " + INJECT_LABEL + " must be client (the ingress) or server (the egress), was '" + role + "'");
        }
        if (chainRef == null || chainRef.isBlank()) {
            throw new InjectException("annotation " + CHAIN_ANNOTATION + " must name the ServiceChain (served: " + served() + ")");
        }
        int slash = chainRef.indexOf('/');
        String serviceChain = slash < 0 ? chainRef : chainRef.substring(0, slash);
        Topology topology = source.served().apply(serviceChain);
        if (topology == null) {
            throw new InjectException("annotation " + CHAIN_ANNOTATION + ": no ServiceChain '" + serviceChain + "' in namespace "
                    + source.namespace() + " (served: " + served() + ")");
        }
        String chain = slash < 0 ? onlyChain(topology, serviceChain) : chainRef.substring(slash + 1);
        EndpointSpec edge = sidecar == SidecarRole.CLIENT ? topology.ingress() : topology.egress();
        int port = edge == null || edge.address() == null ? InjectOptions.DEFAULT_PORT : edge.address().port();
        URI controller = URI.create("http://" + new ChainObjectNames(serviceChain).controller() + ":" + Names.CONTROLLER_PORT
                + ControllerProtocol.serviceChainPath(serviceChain));
        InjectOptions options = new InjectOptions(chain, sidecar, ChainRoutes.of(topology, chain, sidecar), serviceChain, source.image(),
                null, port, Names.METRICS_PORT, null, controller);
        try {
            String injected = new WorkloadInjector(options, false).inject(JSON.writeValueAsString(pod), "the pod").yaml();
            // zjsonpatch (fabric8's, already on the class path) works on Jackson 3 trees: the two documents cross over as text.
            String patch = JsonDiff.asJson(PATCH_JSON.readTree(pod.toString()), PATCH_JSON.readTree(JSON.writeValueAsString(YAML.readTree(injected))))
                    .toString();
            return (ArrayNode) JSON.readTree(patch);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot read back the injected pod", e);
        }
    }

    private static String onlyChain(Topology topology, String serviceChain) {
        List<String> chains = topology.chains().stream().map(ChainSpec::name).toList();
        if (chains.size() != 1) {
            throw new InjectException("annotation " + CHAIN_ANNOTATION + ": ServiceChain '" + serviceChain + "' declares "
                    + (chains.isEmpty() ? "no chain" : "the chains " + String.join(", ", chains) + ": name one as " + serviceChain + "/<chain>"));
        }
        return chains.getFirst();
    }

    private String served() {
        Set<String> names = source.names().get();
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private static ObjectNode allowed(String uid, ArrayNode patch) {
        ObjectNode response = JSON.createObjectNode().put("uid", uid).put("allowed", true);
        if (patch != null) {
            response.put("patchType", "JSONPatch");
            response.put("patch", Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8)));
        }
        return response;
    }

    private static ObjectNode refused(String uid, String message) {
        ObjectNode response = JSON.createObjectNode().put("uid", uid).put("allowed", false);
        response.putObject("status").put("code", 403).put("reason", "Forbidden").put("message", message);
        return response;
    }

    /** The review sent back: the request's apiVersion (v1 is the only one we register), with the response. */
    private static ObjectNode answer(JsonNode review, ObjectNode response) {
        ObjectNode out = JSON.createObjectNode();
        out.put("apiVersion", review.path("apiVersion").asText("admission.k8s.io/v1"));
        out.put("kind", "AdmissionReview");
        out.set("response", response);
        return out;
    }

    private static byte[] error(String message) {
        return JSON.createObjectNode().put("message", message).toString().getBytes(StandardCharsets.UTF_8);
    }

    private void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
