package io.astaire.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * Reads and writes a {@link Topology} as YAML or JSON (JSON is YAML, so one reader takes both).
 * Input is read exactly: unknown fields, duplicate keys and YAML aliases are errors naming the
 * field ({@link StrictYaml}), and no scalar is coerced into another type ({@code name: 123} is not
 * the string "123", {@code spi: 1e3} and {@code spi: "10"} are not integers), so what is stored is
 * what was written or nothing.
 */
public final class TopologyCodec {

    private static final ObjectMapper YAML = configure(new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)));
    private static final ObjectMapper JSON = configure(JsonMapper.builder().build());

    private TopologyCodec() {}

    private static ObjectMapper configure(ObjectMapper mapper) {
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        for (CoercionInputShape scalar : new CoercionInputShape[] {
                CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean}) {
            mapper.coercionConfigFor(LogicalType.Textual).setCoercion(scalar, CoercionAction.Fail);
        }
        for (LogicalType number : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            mapper.coercionConfigFor(number).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        mapper.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        return mapper;
    }

    /** A mapper set up like the codec's own, for other documents that embed model types. */
    public static ObjectMapper jsonMapper() {
        return JSON;
    }

    public static ObjectMapper yamlMapper() {
        return YAML;
    }

    public static Topology read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ModelException(file.toString(), "no such file");
        } catch (IOException e) {
            throw new ModelException(file.toString(), "cannot be read: " + e.getMessage());
        }
        return parse(text);
    }

    public static Topology parse(String yamlOrJson) {
        return parse(yamlOrJson, Topology.class);
    }

    /** Parses any model document, turning Jackson's and the model's errors into a {@link ModelException}. */
    public static <T> T parse(String yamlOrJson, Class<T> type) {
        StrictYaml.check(yamlOrJson);
        try {
            T value = YAML.readValue(yamlOrJson, type);
            if (value == null) {
                throw new ModelException("(document)", "is empty");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            // Named by item, not list index, and without Jackson's class names: what the operator wrote.
            throw new ModelException(namedPath(yamlOrJson, e), "unknown field '" + e.getPropertyName() + "' (known: "
                    + e.getKnownPropertyIds().stream().map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")");
        } catch (JsonMappingException e) {
            Throwable cause = e.getCause();
            String field = path(e);
            if (cause instanceof ModelException m) {
                throw m;
            }
            String problem = cause instanceof IllegalArgumentException ? cause.getMessage() : e.getOriginalMessage();
            throw new ModelException(field.isEmpty() ? "(document)" : field, problem);
        } catch (JsonProcessingException e) {
            throw new ModelException("(document)", "is not valid YAML/JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
        }
    }

    /**
     * The path of a mapping error with each list element named by its {@code name} field when it
     * has one ({@code chains[web].symetric}), else by its index.
     */
    private static String namedPath(String document, JsonMappingException e) {
        JsonNode node;
        try {
            node = YAML.readTree(document);
        } catch (JsonProcessingException unreadable) {
            return path(e); // cannot happen: Jackson just read it
        }
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
                node = node == null ? null : node.get(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                node = node == null ? null : node.get(ref.getIndex());
                JsonNode name = node == null ? null : node.get("name");
                sb.append('[').append(name != null && name.isTextual() ? name.asText() : Integer.toString(ref.getIndex())).append(']');
            }
        }
        return sb.toString();
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    public static String toYaml(Object value) {
        try {
            return YAML.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
