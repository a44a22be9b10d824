package io.astaire.operator;

import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The part of the API server's OpenAPI validation that the ServiceChain schema uses: types,
 * int-or-string, patterns, lengths, ranges, item counts, required fields, keys of map lists, and
 * unknown fields refused (as {@code kubectl apply --validate=strict} does; without it the API
 * server drops them). Returns the first problem as {@code path: problem}.
 */
final class SchemaCheck {
    private SchemaCheck() {}

    static Optional<String> check(JSONSchemaProps schema, Object value) {
        try {
            check(schema, value, "");
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    private static void check(JSONSchemaProps s, Object v, String at) {
        if (Boolean.TRUE.equals(s.getXKubernetesIntOrString())) {
            require(v instanceof Integer || v instanceof Long || v instanceof String, at, "must be an integer or a string");
        } else if (s.getType() != null) {
            boolean ok = switch (s.getType()) {
                case "string" -> v instanceof String;
                case "integer" -> v instanceof Integer || v instanceof Long;
                case "boolean" -> v instanceof Boolean;
                case "object" -> v instanceof Map;
                case "array" -> v instanceof List;
                default -> true;
            };
            require(ok, at, "must be of type " + s.getType());
        }
        if (v instanceof String str) {
            if (s.getPattern() != null) {
                require(Pattern.compile(s.getPattern()).matcher(str).find(), at, "must match " + s.getPattern());
            }
            if (s.getMaxLength() != null) {
                require(str.length() <= s.getMaxLength(), at, "is longer than " + s.getMaxLength());
            }
            if (s.getMinLength() != null) {
                require(str.length() >= s.getMinLength(), at, "is shorter than " + s.getMinLength());
            }
        }
        if (v instanceof Number n) {
            if (s.getMinimum() != null) {
                require(n.doubleValue() >= s.getMinimum(), at, "is below " + s.getMinimum());
            }
            if (s.getMaximum() != null) {
                require(n.doubleValue() <= s.getMaximum(), at, "is above " + s.getMaximum());
            }
        }
        if (v instanceof List<?> list) {
            if (s.getMinItems() != null) {
                require(list.size() >= s.getMinItems(), at, "has fewer than " + s.getMinItems() + " items");
            }
            if (s.getMaxItems() != null) {
                require(list.size() <= s.getMaxItems(), at, "has more than " + s.getMaxItems() + " items");
            }
            Set<Object> keys = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                check(s.getItems().getSchema(), list.get(i), at + "[" + i + "]");
                if ("map".equals(s.getXKubernetesListType()) && list.get(i) instanceof Map<?, ?> item) {
                    Object key = s.getXKubernetesListMapKeys().stream().map(item::get).toList();
                    require(keys.add(key), at + "[" + i + "]", "duplicates the key " + key);
                }
            }
        }
        if (v instanceof Map<?, ?> map && !Boolean.TRUE.equals(s.getXKubernetesPreserveUnknownFields())) {
            if (s.getRequired() != null) {
                for (String r : s.getRequired()) {
                    require(map.containsKey(r), at + "." + r, "is required");
                }
            }
            Map<String, JSONSchemaProps> props = s.getProperties() == null ? Map.of() : s.getProperties();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String field = at + "." + e.getKey();
                JSONSchemaProps p = props.get(String.valueOf(e.getKey()));
                if (p == null && s.getAdditionalProperties() != null && s.getAdditionalProperties().getSchema() != null) {
                    p = s.getAdditionalProperties().getSchema();
                }
                require(p != null || s.getProperties() == null, field, "is an unknown field");
                if (p != null) {
                    check(p, e.getValue(), field);
                }
            }
        }
    }

    private static void require(boolean ok, String at, String problem) {
        if (!ok) {
            throw new IllegalArgumentException((at.isEmpty() ? "(root)" : at.substring(1)) + ": " + problem);
        }
    }
}
