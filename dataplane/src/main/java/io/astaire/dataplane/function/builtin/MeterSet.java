package io.astaire.dataplane.function.builtin;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The meters one function instance registered. A node replaces a function whose config changed by
 * a new instance configured while the old one still runs; Micrometer would hand the new instance
 * the old meter of the same name and tags (still reading the old instance's adders), so a new
 * registration first removes a meter of the same id, and {@link #close} removes only the meters
 * that are still this instance's own. Registration is off the packet path (configure, start, or a
 * background thread).
 */
final class MeterSet {
    private final MeterRegistry registry;
    private final Tags common;
    private final List<Meter> own = new ArrayList<>();

    MeterSet(MeterRegistry registry, Tags common) {
        this.registry = registry;
        this.common = common;
    }

    synchronized <T> FunctionCounter counter(String name, String description, String baseUnit, Tags tags, T state,
                                             ToDoubleFunction<T> count) {
        Tags all = common.and(tags);
        replace(name, all);
        FunctionCounter meter = FunctionCounter.builder(name, state, count).description(description).baseUnit(baseUnit)
                .tags(all).register(registry);
        own.add(meter);
        return meter;
    }

    synchronized <T> Gauge gauge(String name, String description, Tags tags, T state, ToDoubleFunction<T> value) {
        Tags all = common.and(tags);
        replace(name, all);
        Gauge meter = Gauge.builder(name, state, value).description(description).tags(all).register(registry);
        own.add(meter);
        return meter;
    }

    private void replace(String name, Tags tags) {
        Meter existing = registry.find(name).tags(tags).meter();
        if (existing != null) {
            registry.remove(existing);
        }
    }

    /** Removes {@code meter} if it is still registered as this instance's. */
    synchronized void remove(Meter meter) {
        if (meter != null && own.remove(meter)) {
            removeIfCurrent(meter);
        }
    }

    /** Removes every meter of this instance that no newer instance has replaced. */
    synchronized void close() {
        own.forEach(this::removeIfCurrent);
        own.clear();
    }

    private void removeIfCurrent(Meter meter) {
        Meter current = registry.find(meter.getId().getName()).tags(meter.getId().getTags()).meter();
        if (current == meter) {
            registry.remove(meter);
        }
    }
}
