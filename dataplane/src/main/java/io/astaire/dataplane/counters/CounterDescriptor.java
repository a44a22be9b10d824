package io.astaire.dataplane.counters;

import java.util.List;

/**
 * One counter of a {@link CounterLayout}: its id (the index into every stripe) and how /metrics
 * shows it: the Micrometer name (rendered {@code astaire_..._total}), help and labels.
 *
 * @param labels label names and values, alternating
 */
public record CounterDescriptor(int id, String metric, String help, List<String> labels) {

    public CounterDescriptor {
        if (labels.size() % 2 != 0) {
            throw new IllegalArgumentException("labels come in name/value pairs: " + labels);
        }
        labels = List.copyOf(labels);
    }

    /** The value of label {@code name}, or null. */
    public String label(String name) {
        for (int i = 0; i < labels.size(); i += 2) {
            if (labels.get(i).equals(name)) {
                return labels.get(i + 1);
            }
        }
        return null;
    }
}
