package io.astaire.systest;

import java.util.LinkedHashMap;
import java.util.Map;

/** The samples of a Prometheus text exposition: {@code name{labels}} to value. */
record PromText(Map<String, Double> samples) {

    static PromText parse(String text) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space > 0) {
                try {
                    m.put(line.substring(0, space).trim(), Double.parseDouble(line.substring(space + 1).trim()));
                } catch (NumberFormatException ignored) {
                    // a timestamped or odd line: not needed here
                }
            }
        }
        return new PromText(m);
    }

    /** The sum of every sample of metric {@code name} whose labels contain all of {@code labels} ({@code k="v"}). */
    double sum(String name, String... labels) {
        double total = 0;
        for (Map.Entry<String, Double> e : samples.entrySet()) {
            String key = e.getKey();
            String metric = key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
            if (!metric.equals(name)) {
                continue;
            }
            boolean all = true;
            for (String l : labels) {
                all &= key.contains(l);
            }
            if (all) {
                total += e.getValue();
            }
        }
        return total;
    }
}
