package io.astaire.dataplane.counters;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The counters of one kind of thing (a function node, an edge, a path, a function), as
 * descriptors with dense ids. Built once; every {@link CounterStripe} of it has a slot per id.
 */
public final class CounterLayout {

    private final List<CounterDescriptor> descriptors;

    private CounterLayout(List<CounterDescriptor> descriptors) {
        this.descriptors = List.copyOf(descriptors);
    }

    public static Builder builder() {
        return new Builder();
    }

    public int size() {
        return descriptors.size();
    }

    public List<CounterDescriptor> descriptors() {
        return descriptors;
    }

    public CounterDescriptor descriptor(int id) {
        return descriptors.get(id);
    }

    /** Adds descriptors in order; each {@link #counter} returns the id it got. */
    public static final class Builder {
        private final List<CounterDescriptor> descriptors = new ArrayList<>();

        private Builder() {}

        /** A counter shown on /metrics as {@code metric} with these label name/value pairs. */
        public int counter(String metric, String help, String... labels) {
            int id = descriptors.size();
            descriptors.add(new CounterDescriptor(id, metric, help, Arrays.asList(labels)));
            return id;
        }

        /** A counter not shown on /metrics by itself (rendered some other way, or only read by code). */
        public int hidden(String name) {
            return counter(null == name ? "" : name, "", "hidden", "true");
        }

        public CounterLayout build() {
            return new CounterLayout(descriptors);
        }
    }
}
