package io.astaire.operator;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A ServiceChain's {@code status}: the generation last reconciled, the {@code Reconciled}
 * condition (did the operator apply the spec, and if not why, naming the field) and the
 * {@code Ready} condition (are all its Deployments available), and the SPIs served. Built as
 * plain maps, the shape the API server stores; a condition keeps its transition time while its
 * status stays the same, so an unchanged status is not written again.
 */
final class ChainStatus {
    static final String READY = "Ready";
    static final String RECONCILED = "Reconciled";

    record Condition(String type, boolean status, String reason, String message) {}

    private ChainStatus() {}

    /** The new status, keeping each condition's transition time from {@code previous} when its status did not change. */
    static Map<String, Object> build(Map<String, Object> previous, long generation, List<Condition> conditions, Map<String, Integer> spis) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("observedGeneration", generation);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Condition c : conditions) {
            Map<String, Object> old = condition(previous, c.type());
            String value = c.status() ? "True" : "False";
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", c.type());
            m.put("status", value);
            m.put("reason", c.reason());
            m.put("message", c.message());
            m.put("observedGeneration", generation);
            m.put("lastTransitionTime", old != null && value.equals(old.get("status")) && old.get("lastTransitionTime") != null
                    ? old.get("lastTransitionTime") : Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
            out.add(m);
        }
        status.put("conditions", out);
        if (spis != null && !spis.isEmpty()) {
            status.put("spis", new LinkedHashMap<>(spis));
        } else if (previous != null && previous.get("spis") != null) {
            status.put("spis", previous.get("spis"));
        }
        return status;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> condition(Map<String, Object> status, String type) {
        if (status == null || !(status.get("conditions") instanceof List<?> list)) {
            return null;
        }
        for (Object o : list) {
            if (o instanceof Map<?, ?> m && type.equals(m.get("type"))) {
                return (Map<String, Object>) m;
            }
        }
        return null;
    }

    /** Equal as the API server would store them: numbers compared by value, whatever their Java type. */
    static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.longValue() == y.longValue();
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (!x.keySet().equals(y.keySet())) {
                return false;
            }
            return x.keySet().stream().allMatch(k -> same(x.get(k), y.get(k)));
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!same(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.equals(a, b);
    }
}
