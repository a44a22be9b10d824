package io.astaire.k8s.inject;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.astaire.k8s.Names;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code astaire k8s inject}: adds the ingress (clients) or the egress (servers) as a sidecar to
 * every pod a YAML stream declares (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
 * CronJob, also inside a {@code List}).
 *
 * <p>What it adds, and only that: the sidecar container (see {@link SidecarParts}), its two
 * volumes, the annotations {@value #ROLE_ANNOTATION} and {@value #CHAIN_ANNOTATION} and the labels
 * {@value #MEMBER_LABEL} and {@value #EDGE_LABEL} on the pod. A document it does not change (no pod in it, or injected
 * already with the same role and chain) is copied byte for byte, comments included; a changed
 * one is written back from its parsed form, so its content is the same but comments and
 * formatting are not kept. Injecting twice is injecting once.
 */
public final class WorkloadInjector {
    public static final String ROLE_ANNOTATION = "astaire.io/sidecar";
    public static final String CHAIN_ANNOTATION = "astaire.io/chain";
    /** Marks pods that take part in a chain (instance as value), for NetworkPolicies that admit them. */
    public static final String MEMBER_LABEL = Names.MEMBER_LABEL;
    /** Which edge the pod holds ({@code ingress} or {@code egress}), for the headless Service that addresses the sidecars. */
    public static final String EDGE_LABEL = Names.EDGE_LABEL;

    private static final Pattern DOCUMENT_START = Pattern.compile("(?m)^---[ \\t]*(#.*)?$\\n?");
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Set<String> TEMPLATE_KINDS = Set.of("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job");
    /** Kinds that hold no pod: passed through untouched. Anything else is refused unless skipUnknown. */
    private static final Set<String> PODLESS_KINDS = Set.of("Service", "ConfigMap", "Secret", "ServiceAccount", "Role",
            "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Namespace", "Ingress", "IngressClass", "NetworkPolicy",
            "PersistentVolumeClaim", "PersistentVolume", "StorageClass", "PodDisruptionBudget", "HorizontalPodAutoscaler",
            "LimitRange", "ResourceQuota", "PriorityClass", "Endpoints", "EndpointSlice", "CustomResourceDefinition",
            "ServiceMonitor", "PodMonitor", "Lease", "Gateway", "HTTPRoute", "GRPCRoute");

    private final InjectOptions options;
    private final boolean skipUnknown;
    private final JsonNode container;
    private final List<JsonNode> volumes;

    public WorkloadInjector(InjectOptions options, boolean skipUnknown) {
        this.options = options;
        this.skipUnknown = skipUnknown;
        this.container = tree(SidecarParts.container(options));
        List<JsonNode> v = new ArrayList<>();
        for (Volume volume : SidecarParts.volumes(options)) {
            v.add(tree(volume));
        }
        this.volumes = List.copyOf(v);
    }

    /** What happened to one object. */
    public record Outcome(String object, String what) {
        @Override
        public String toString() {
            return object + ": " + what;
        }
    }

    /** The stream with the sidecars in, and what was done to each object. */
    public record Result(String yaml, List<Outcome> outcomes) {
        public long injected() {
            return outcomes.stream().filter(o -> o.what().startsWith("injected")).count();
        }
    }

    /** Injects into every pod of {@code yaml} (one or more documents); {@code source} names the input in errors. */
    public Result inject(String yaml, String source) {
        List<Outcome> outcomes = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        Matcher m = DOCUMENT_START.matcher(yaml);
        int docStart = 0;
        int index = 0;
        while (true) {
            boolean found = m.find();
            int docEnd = found ? m.start() : yaml.length();
            String doc = yaml.substring(docStart, docEnd);
            out.append(injectDocument(doc, source + ", document " + (index + 1), outcomes));
            if (!found) {
                break;
            }
            out.append(m.group());
            docStart = m.end();
            index++;
        }
        return new Result(out.toString(), List.copyOf(outcomes));
    }

    private String injectDocument(String doc, String where, List<Outcome> outcomes) {
        JsonNode root;
        try {
            root = YAML.readTree(doc);
        } catch (JsonProcessingException e) {
            throw new InjectException(where + ": not valid YAML: " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return doc; // empty, or comments only
        }
        if (!(root instanceof ObjectNode object)) {
            throw new InjectException(where + ": not a Kubernetes object (a " + root.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        boolean changed = injectObject(object, where, outcomes);
        if (!changed) {
            return doc;
        }
        // Written the way 'k8s render' writes (fabric8's YAML: quotes where YAML would change a string's type).
        String yaml = SERIALIZATION.asYaml(YAML.convertValue(object, Map.class));
        yaml = yaml.startsWith("---\n") ? yaml.substring(4) : yaml;
        return doc.endsWith("\n") || doc.isEmpty() ? yaml : yaml.stripTrailing();
    }

    /** Injects into {@code object} in place; true when it changed. */
    private boolean injectObject(ObjectNode object, String where, List<Outcome> outcomes) {
        String kind = object.path("kind").asText("");
        if (kind.isEmpty() || !object.hasNonNull("apiVersion")) {
            throw new InjectException(where + ": not a Kubernetes object (no " + (kind.isEmpty() ? "kind" : "apiVersion") + ")");
        }
        String name = kind + "/" + object.path("metadata").path("name").asText("?");
        if (kind.equals("List") || (kind.endsWith("List") && object.has("items"))) {
            boolean changed = false;
            JsonNode items = object.path("items");
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i) instanceof ObjectNode item) {
                    changed |= injectObject(item, where + ", items[" + i + "]", outcomes);
                }
            }
            return changed;
        }
        ObjectNode template;
        if (kind.equals("Pod")) {
            template = object;
        } else if (TEMPLATE_KINDS.contains(kind)) {
            template = objectAt(object, where + " (" + name + ")", "spec", "template");
        } else if (kind.equals("CronJob")) {
            template = objectAt(object, where + " (" + name + ")", "spec", "jobTemplate", "spec", "template");
        } else if (PODLESS_KINDS.contains(kind) || skipUnknown) {
            outcomes.add(new Outcome(name, PODLESS_KINDS.contains(kind) ? "unchanged (no pod)" : "unchanged (kind unknown, skipped)"));
            return false;
        } else {
            throw new InjectException(where + " (" + name + "): cannot inject into kind " + kind + ": only Pod, Deployment, StatefulSet, "
                    + "DaemonSet, ReplicaSet, ReplicationController, Job and CronJob carry pods astaire knows how to change "
                    + "(--skip-unknown passes other kinds through untouched)");
        }
        return injectPod(template, where + " (" + name + ")", name, outcomes);
    }

    private boolean injectPod(ObjectNode pod, String where, String name, List<Outcome> outcomes) {
        ObjectNode meta = child(pod, "metadata");
        ObjectNode spec = objectAt(pod, where, "spec");
        String role = options.role().edge();
        JsonNode injected = meta.path("annotations").path(ROLE_ANNOTATION);
        if (!injected.isMissingNode()) {
            String chain = meta.path("annotations").path(CHAIN_ANNOTATION).asText("");
            if (injected.asText().equals(role) && chain.equals(options.chain()) && hasContainer(spec, options.role().containerName())) {
                outcomes.add(new Outcome(name, "unchanged (has the " + role + " sidecar of chain " + chain + " already)"));
                return false;
            }
            throw new InjectException(where + ": is injected already (" + ROLE_ANNOTATION + ": " + injected.asText() + ", "
                    + CHAIN_ANNOTATION + ": " + chain + "); remove that sidecar first: a pod has one edge of one chain");
        }
        if (spec.path("hostNetwork").asBoolean(false)) {
            throw new InjectException(where + ": uses hostNetwork: the sidecar's TUN device and routes would change the node's "
                    + "network, not the pod's; run the gateway edges (astaire k8s render) for such workloads");
        }
        for (String edge : new String[] {SidecarRole.CLIENT.containerName(), SidecarRole.SERVER.containerName()}) {
            if (hasContainer(spec, edge)) {
                throw new InjectException(where + ": has a container named " + edge + " but no " + ROLE_ANNOTATION
                        + " annotation; rename it or add the annotation if astaire put it there");
            }
        }
        checkPorts(spec, where);
        checkVolumes(spec, where);
        ArrayNode init = spec.has("initContainers") && spec.get("initContainers").isArray()
                ? (ArrayNode) spec.get("initContainers") : spec.putArray("initContainers");
        init.insert(0, container.deepCopy()); // first: it starts, and its routes are in place, before anything else
        ArrayNode vols = spec.has("volumes") && spec.get("volumes").isArray() ? (ArrayNode) spec.get("volumes") : spec.putArray("volumes");
        volumes.forEach(v -> vols.add(v.deepCopy()));
        child(meta, "annotations").put(ROLE_ANNOTATION, role).put(CHAIN_ANNOTATION, options.chain());
        child(meta, "labels").put(MEMBER_LABEL, options.instance()).put(EDGE_LABEL, role);
        outcomes.add(new Outcome(name, "injected the " + role + " of chain " + options.chain()
                + (options.routes().isEmpty() ? "" : ", routes " + options.routes())));
        return true;
    }

    private void checkPorts(ObjectNode spec, String where) {
        for (String list : new String[] {"containers", "initContainers"}) {
            for (JsonNode c : spec.path(list)) {
                for (JsonNode p : c.path("ports")) {
                    int port = p.path("containerPort").asInt(-1);
                    String protocol = p.path("protocol").asText("TCP");
                    if ((port == options.metricsPort() && protocol.equals("TCP")) || (port == options.port() && protocol.equals("UDP"))) {
                        throw new InjectException(where + ": container " + c.path("name").asText() + " uses " + protocol + " port " + port
                                + ", which the sidecar needs; choose another with " + (protocol.equals("TCP") ? "--metrics-port" : "--port"));
                    }
                }
            }
        }
    }

    private static void checkVolumes(ObjectNode spec, String where) {
        for (JsonNode v : spec.path("volumes")) {
            String n = v.path("name").asText();
            if (n.equals(SidecarParts.TUN_VOLUME) || n.equals(SidecarParts.CHAIN_VOLUME)) {
                throw new InjectException(where + ": has a volume named " + n + " already, which the sidecar needs");
            }
        }
    }

    private static boolean hasContainer(JsonNode spec, String name) {
        for (String list : new String[] {"containers", "initContainers"}) {
            for (JsonNode c : spec.path(list)) {
                if (c.path("name").asText().equals(name)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static ObjectNode objectAt(ObjectNode node, String where, String... path) {
        JsonNode n = node;
        StringBuilder at = new StringBuilder();
        for (String p : path) {
            at.append(at.isEmpty() ? "" : ".").append(p);
            n = n.path(p);
            if (!(n instanceof ObjectNode)) {
                throw new InjectException(where + ": has no " + at + " to inject into");
            }
        }
        return (ObjectNode) n;
    }

    private static ObjectNode child(ObjectNode node, String field) {
        JsonNode n = node.get(field);
        if (n instanceof ObjectNode o) {
            return o;
        }
        return node.putObject(field); // absent or null: a fresh map
    }

    /** A fabric8 model object as a tree of this class's Jackson (fabric8 brings its own, newer, Jackson). */
    private static JsonNode tree(Object model) {
        return YAML.valueToTree(SERIALIZATION.convertValue(model, Map.class));
    }
}
