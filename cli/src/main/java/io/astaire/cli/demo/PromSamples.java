package io.astaire.cli.demo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The samples of a Prometheus text exposition ({@code name{labels} value} lines), summed by
 * metric name and label filters. Enough for reading a node's {@code /metrics}; not a full parser
 * (timestamps and exemplars are ignored).
 */
public final class PromSamples {
    private final Map<String, Double> samples;

    private PromSamples(Map<String, Double> samples) {
        this.samples = samples;
    }

    public static PromSamples parse(String text) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int close = l.lastIndexOf('}');
            int space = l.indexOf(' ', Math.max(close, 0));
            if (space <= 0) {
                continue;
            }
            String value = l.substring(space + 1).strip();
            int more = value.indexOf(' ');
            if (more > 0) {
                value = value.substring(0, more); // a timestamp follows
            }
            try {
                m.merge(l.substring(0, space), Double.parseDouble(value), Double::sum);
            } catch (NumberFormatException ignored) {
                // not a sample we can read: skip it
            }
        }
        return new PromSamples(m);
    }

    /** Sum of the samples of metric {@code name} whose labels include every {@code k="v"} given. */
    public long sum(String name, String... labels) {
        double total = 0;
        for (Map.Entry<String, Double> e : samples.entrySet()) {
            String key = e.getKey();
            int brace = key.indexOf('{');
            String metric = brace < 0 ? key : key.substring(0, brace);
            if (!metric.equals(name)) {
                continue;
            }
            boolean all = true;
            for (String l : labels) {
                all &= brace >= 0 && key.indexOf(l, brace) > 0;
            }
            if (all) {
                total += e.getValue();
            }
        }
        return Math.round(total);
    }

    /**
     * The non-zero samples of {@code name}, keyed by the values of {@code labelNames} joined with
     * '/' (for drops by reason: {@code function_verdict/acl}).
     */
    public Map<String, Long> nonZeroBy(String name, String... labelNames) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : samples.entrySet()) {
            String key = e.getKey();
            int brace = key.indexOf('{');
            String metric = brace < 0 ? key : key.substring(0, brace);
            long v = Math.round(e.getValue());
            if (!metric.equals(name) || v == 0) {
                continue;
            }
            StringBuilder k = new StringBuilder();
            for (String label : labelNames) {
                String value = label(key, label);
                if (value != null && !value.isEmpty()) {
                    k.append(k.isEmpty() ? "" : "/").append(value);
                }
            }
            out.merge(k.isEmpty() ? metric : k.toString(), v, Long::sum);
        }
        return out;
    }

    private static String label(String key, String label) {
        int at = key.indexOf(label + "=\"");
        while (at > 0 && key.charAt(at - 1) != '{' && key.charAt(at - 1) != ',') {
            at = key.indexOf(label + "=\"", at + 1);
        }
        if (at < 0) {
            return null;
        }
        int start = at + label.length() + 2;
        int end = key.indexOf('"', start);
        return end < 0 ? null : key.substring(start, end);
    }

    public boolean isEmpty() {
        return samples.isEmpty();
    }
}
