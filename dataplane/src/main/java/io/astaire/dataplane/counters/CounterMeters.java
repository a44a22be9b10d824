package io.astaire.dataplane.counters;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Renders a {@link StripedCounters} on /metrics from its descriptors: one Micrometer
 * {@link FunctionCounter} per descriptor that reads the stripes' sum at scrape time, so nothing
 * is recorded on the packet path beyond the stripes' own stores.
 */
public final class CounterMeters {

    private CounterMeters() {}

    /**
     * Registers every shown descriptor of {@code counters}, with {@code common} tags added. The
     * registry holds {@code counters} weakly: the caller keeps it alive (the node does).
     */
    public static void register(MeterRegistry registry, StripedCounters counters, Tags common) {
        for (CounterDescriptor d : counters.layout().descriptors()) {
            if ("true".equals(d.label("hidden"))) {
                continue;
            }
            int id = d.id();
            FunctionCounter.builder(d.metric(), counters, c -> c.sum(id))
                    .description(d.help())
                    .tags(common.and(Tags.of(d.labels().toArray(String[]::new))))
                    .register(registry);
        }
    }
}
