package io.astaire.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads YAML manifests with the fabric8 model, strictly: fabric8 keeps fields it does not know
 * in {@code additionalProperties} instead of failing, so after parsing every model object is
 * walked and any such field is reported with its path. A misspelt or misplaced key (say
 * {@code containerPorts} or {@code readinesProbe}) is thus an error, as it would be for
 * {@code kubectl apply --validate=strict}. Names and labels are then checked against the rules
 * the API server applies (a Service's name is a DNS-1035 label, other names DNS-1123 subdomains,
 * label keys and values at most 63 characters of the allowed set), so what the API server
 * would refuse fails here too. Last, every document goes through the official Kubernetes OpenAPI
 * schema ({@link OfficialSchema}: types, formats, enums, required fields), where Node.js runs.
 */
final class StrictManifests {

    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private StrictManifests() {}

    /** Splits a multi-document YAML stream and parses each non-empty document. */
    static List<HasMetadata> parse(String yamlStream) {
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : yamlStream.split("(?m)^---\\s*$")) {
            if (doc.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) {
                continue;
            }
            Object parsed = SERIALIZATION.unmarshal(doc);
            if (!(parsed instanceof HasMetadata object)) {
                throw new AssertionError("not a Kubernetes object: " + doc);
            }
            // A custom resource (a cert-manager Certificate, say) is its CRD's to validate: the model holds its spec as a map.
            boolean custom = object instanceof io.fabric8.kubernetes.api.model.GenericKubernetesResource && OfficialSchema.isCustom(object.getApiVersion());
            List<String> unknown = custom ? List.of() : unknownFields(object);
            if (!unknown.isEmpty()) {
                throw new AssertionError(object.getKind() + "/" + object.getMetadata().getName()
                        + " has fields the Kubernetes model does not know: " + unknown);
            }
            List<String> refused = apiServerRefuses(object);
            if (!refused.isEmpty()) {
                throw new AssertionError(object.getKind() + "/" + object.getMetadata().getName() + " would be refused: " + refused);
            }
            Optional<String> schema = OfficialSchema.get().flatMap(s -> s.problems(asJson(doc)));
            if (schema.isPresent()) {
                throw new AssertionError(object.getKind() + "/" + object.getMetadata().getName()
                        + " is refused by the Kubernetes OpenAPI schema: " + schema.get());
            }
            out.add(object);
        }
        return out;
    }

    private static final YAMLMapper YAML = new YAMLMapper();

    /** The document as written (not as the fabric8 model would write it back). */
    private static JsonNode asJson(String yamlDocument) {
        try {
            return YAML.readTree(yamlDocument);
        } catch (java.io.IOException e) {
            throw new AssertionError("not YAML: " + e.getMessage(), e);
        }
    }

    private static final Pattern DNS_1035 = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS_1123_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
    private static final Pattern LABEL_NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");

    /** What the API server's name and label validation would say of the object (empty: nothing). */
    static List<String> apiServerRefuses(HasMetadata object) {
        List<String> problems = new ArrayList<>();
        String name = object.getMetadata().getName();
        boolean service = object.getKind().equals("Service");
        if (name == null || name.length() > (service ? 63 : 253)
                || !(service ? DNS_1035 : DNS_1123_SUBDOMAIN).matcher(name).matches()) {
            problems.add("metadata.name '" + name + "' is not a " + (service ? "DNS-1035 label" : "DNS-1123 subdomain"));
        }
        String ns = object.getMetadata().getNamespace(); // "" is unset: kubectl uses the current namespace
        if (ns != null && !ns.isEmpty() && (ns.length() > 63 || !DNS_1123_LABEL.matcher(ns).matches())) {
            problems.add("metadata.namespace '" + ns + "' is not a DNS-1123 label");
        }
        Map<String, String> labels = object.getMetadata().getLabels() == null ? Map.of() : object.getMetadata().getLabels();
        labels.forEach((k, v) -> {
            String keyName = k.contains("/") ? k.substring(k.indexOf('/') + 1) : k;
            if (keyName.length() > 63 || !LABEL_NAME.matcher(keyName).matches()) {
                problems.add("label key '" + k + "'");
            }
            if (v.length() > 63 || !LABEL_VALUE.matcher(v).matches()) {
                problems.add("label " + k + " value '" + v + "'");
            }
        });
        return problems;
    }

    /** Paths of every field that landed in an {@code additionalProperties} map. */
    static List<String> unknownFields(Object root) {
        List<String> found = new ArrayList<>();
        walk(root, root.getClass().getSimpleName(), found);
        return found;
    }

    private static void walk(Object value, String path, List<String> found) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                walk(e, path + "[" + i++ + "]", found);
            }
            return;
        }
        if (value instanceof Map<?, ?> m) {
            m.forEach((k, v) -> walk(v, path + "." + k, found));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            String field = getter.getName().substring(3);
            if (field.equals("AdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> found.add(path + "." + k));
                }
                continue;
            }
            if (child instanceof Collection<?> || child instanceof Map<?, ?>
                    || (child != null && child.getClass().getName().startsWith("io.fabric8.kubernetes.api.model"))) {
                walk(child, path + "." + Character.toLowerCase(field.charAt(0)) + field.substring(1), found);
            }
        }
    }
}
