package io.astaire.function;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What a function gets at {@link ServiceFunction#configure}: its name in the topology, its kind,
 * its {@code config} map as written in YAML, and the node's meter registry.
 *
 * <p>Every error this class raises names the field as a path into the topology
 * ({@code functions.<name>.config.<key>}), so a bad config fails at start-up with a message the
 * operator can act on. Use {@link #bind} to read the whole map into a record, or the typed
 * getters for a few scalar keys, and {@link #invalid} for checks of your own.
 */
public final class FunctionConfig {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .build();

    private final String name;
    private final String kind;
    private final Map<String, Object> raw;
    private final MeterRegistry meters;

    public FunctionConfig(String name, String kind, Map<String, Object> raw, MeterRegistry meters) {
        this.name = Objects.requireNonNull(name, "name");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.raw = raw == null ? Map.of() : raw;
        this.meters = meters == null ? new SimpleMeterRegistry() : meters;
    }

    /** The function's name in the topology (also its {@code function} metric tag). */
    public String name() {
        return name;
    }

    public String kind() {
        return kind;
    }

    /** The {@code config} map as parsed from YAML/JSON: strings, numbers, booleans, lists and maps. */
    public Map<String, Object> raw() {
        return raw;
    }

    /** The node's registry; register meters with {@link #tags()} so each function's series are apart. */
    public MeterRegistry meters() {
        return meters;
    }

    /** {@code function=<name>}: the tag every meter of this function carries. */
    public Tags tags() {
        return Tags.of("function", name);
    }

    /** The path of a config key in the topology: {@code functions.<name>.config.<key>}. */
    public String path(String key) {
        return "functions." + name + ".config" + (key.isEmpty() || key.startsWith("[") ? "" : ".") + key;
    }

    /** An error about {@code key} (a key of this config, or a sub-path like {@code rules[2].action}). */
    public FunctionConfigException invalid(String key, String problem) {
        return new FunctionConfigException(path(key), problem);
    }

    /**
     * Reads the whole config map into {@code type} (a record or bean) with Jackson. Unknown keys,
     * wrong types and values the type's own parsers reject are errors naming the field. Enums
     * match case-insensitively; model types ({@code IpPrefix}, {@code PortRange}, {@code Protocol})
     * parse from their usual text.
     */
    public <T> T bind(Class<T> type) {
        try {
            return MAPPER.convertValue(raw, type);
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof JsonMappingException m) {
                throw describe(m);
            }
            throw new FunctionConfigException(path(""), e.getMessage(), e);
        }
    }

    private FunctionConfigException describe(JsonMappingException e) {
        StringBuilder field = new StringBuilder(path(""));
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                field.append('.').append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                field.append('[').append(ref.getIndex()).append(']');
            }
        }
        return new FunctionConfigException(field.toString(), problem(e), e);
    }

    private static String problem(JsonMappingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return "unknown field '" + u.getPropertyName() + "' (known: " + u.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")";
        }
        if (e instanceof InvalidFormatException f) {
            Class<?> target = f.getTargetType();
            if (target != null && target.isEnum()) {
                return "'" + f.getValue() + "' is not " + Arrays.stream(target.getEnumConstants())
                        .map(c -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT)).collect(Collectors.joining("|"));
            }
            return "'" + f.getValue() + "' is not " + describeType(target);
        }
        // A model parser (IpPrefix.parse, PortRange.parse, ...) or a record constructor rejected the value.
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c instanceof IllegalArgumentException || c instanceof FunctionConfigException) {
                return c.getMessage();
            }
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return "expected " + describeType(m.getTargetType());
        }
        return e.getOriginalMessage();
    }

    private static String describeType(Class<?> type) {
        if (type == null) {
            return "valid";
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "an integer";
        }
        if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
            return "a number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        return "a " + type.getSimpleName();
    }

    /** A string key, or {@code defaultValue} when absent. */
    public String string(String key, String defaultValue) {
        Object v = raw.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        throw invalid(key, "expected a string, got " + describeValue(v));
    }

    /** A string key that must be present and not blank. */
    public String requireString(String key) {
        String s = string(key, null);
        if (s == null || s.isBlank()) {
            throw invalid(key, "is required");
        }
        return s;
    }

    /** An integer key within {@code [min, max]}, or {@code defaultValue} when absent. */
    public long longValue(String key, long defaultValue, long min, long max) {
        Object v = raw.get(key);
        if (v == null) {
            return defaultValue;
        }
        long value;
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            value = ((Number) v).longValue();
        } else if (v instanceof String s && s.trim().matches("-?\\d+")) {
            try {
                value = Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw invalid(key, "'" + s + "' is too large");
            }
        } else {
            throw invalid(key, "'" + v + "' is not an integer");
        }
        if (value < min || value > max) {
            throw invalid(key, value + " is outside " + min + "-" + max);
        }
        return value;
    }

    /** An integer key within {@code [min, max]}, or {@code defaultValue} when absent. */
    public int intValue(String key, int defaultValue, int min, int max) {
        return (int) longValue(key, defaultValue, min, max);
    }

    /** A boolean key ({@code true}/{@code false}), or {@code defaultValue} when absent. */
    public boolean bool(String key, boolean defaultValue) {
        Object v = raw.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(s);
        }
        throw invalid(key, "'" + v + "' is not true or false");
    }

    /** An enum key, matched case-insensitively, or {@code defaultValue} when absent. */
    public <E extends Enum<E>> E choice(String key, Class<E> type, E defaultValue) {
        String s = string(key, null);
        if (s == null) {
            return defaultValue;
        }
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(s.trim())) {
                return constant;
            }
        }
        throw invalid(key, "'" + s + "' is not " + Arrays.stream(type.getEnumConstants())
                .map(c -> c.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining("|")));
    }

    private static String describeValue(Object v) {
        return v instanceof Map ? "a map" : v instanceof java.util.List ? "a list" : "'" + v + "'";
    }

    @Override
    public String toString() {
        return "FunctionConfig[" + name + " (" + kind + ") " + raw + "]";
    }
}
