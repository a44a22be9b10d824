package io.astaire.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reads YAML manifests with the fabric8 model, strictly: fabric8 keeps fields it does not know
 * in {@code additionalProperties} instead of failing, so after parsing every model object is
 * walked and any such field is reported with its path. A misspelt or misplaced key (say
 * {@code containerPorts} or {@code readinesProbe}) is thus an error, as it would be for
 * {@code kubectl apply --validate=strict}.
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
            List<String> unknown = unknownFields(object);
            if (!unknown.isEmpty()) {
                throw new AssertionError(object.getKind() + "/" + object.getMetadata().getName()
                        + " has fields the Kubernetes model does not know: " + unknown);
            }
            out.add(object);
        }
        return out;
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
