package io.astaire.model;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * Refuses what Jackson's YAML reader would otherwise read silently wrong: an alias ({@code *name},
 * read as the string "name"; merge keys {@code <<: *base} are aliases too) and a key given twice
 * in one mapping (the last would win). Aliases are refused rather than resolved so that what is
 * stored is exactly what is written once, and the message says how to write it out.
 */
final class StrictYaml {
    private static final YAMLFactory FACTORY = new YAMLFactory();

    private StrictYaml() {}

    /** @throws ModelException naming the field holding an alias or the key given twice */
    static void check(String yamlOrJson) {
        try (YAMLParser p = FACTORY.createParser(yamlOrJson)) {
            Deque<Set<String>> keys = new ArrayDeque<>();
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (p.isCurrentAlias()) {
                    throw new ModelException(path(p), "is a YAML alias (*" + p.getText() + "); aliases are not supported: "
                            + "write the value out in full");
                }
                switch (t) {
                    case START_OBJECT -> keys.push(new HashSet<>());
                    case END_OBJECT -> keys.pop();
                    case FIELD_NAME -> {
                        if (!keys.peek().add(p.currentName())) {
                            throw new ModelException(path(p), "the key '" + p.currentName() + "' is given twice in one mapping");
                        }
                    }
                    default -> { }
                }
            }
        } catch (StreamReadException e) {
            // Not YAML at all: the reader proper names where it breaks.
        } catch (IOException e) {
            throw new ModelException("(document)", "cannot be read: " + e.getMessage());
        }
    }

    /** The path of the current token as the codec names fields: {@code chains[0].spi}. */
    private static String path(YAMLParser p) {
        Deque<String> parts = new ArrayDeque<>();
        for (var c = p.getParsingContext(); c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
            } else if (c.getCurrentName() != null) {
                parts.push(c.getCurrentName());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String part : parts) {
            sb.append(sb.isEmpty() || part.startsWith("[") ? "" : ".").append(part);
        }
        return sb.isEmpty() ? "(document)" : sb.toString();
    }
}
