package io.astaire.dataplane.counters;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A layout's counters over every writer: one {@link CounterStripe} per worker (handed out with
 * {@link #newStripe()}), summed when read. Writers never share a stripe; a scrape or a status
 * report sums them from any thread.
 */
public final class StripedCounters {

    private final CounterLayout layout;
    private final List<CounterStripe> stripes = new CopyOnWriteArrayList<>();

    public StripedCounters(CounterLayout layout) {
        this.layout = layout;
    }

    /** With {@code writers} stripes already made (see {@link #stripe(int)}). */
    public StripedCounters(CounterLayout layout, int writers) {
        this(layout);
        for (int i = 0; i < writers; i++) {
            newStripe();
        }
    }

    /** A stripe for one more writer. */
    public CounterStripe newStripe() {
        CounterStripe s = new CounterStripe(layout);
        stripes.add(s);
        return s;
    }

    public CounterStripe stripe(int writer) {
        return stripes.get(writer);
    }

    public int writers() {
        return stripes.size();
    }

    /** Adds to writer {@code writer}'s stripe; on that writer's thread only. */
    public void add(int writer, int id, long delta) {
        stripes.get(writer).add(id, delta);
    }

    /** The sum over every stripe of counter {@code id}. */
    public long sum(int id) {
        long total = 0;
        for (CounterStripe s : stripes) {
            total += s.get(id);
        }
        return total;
    }

    public CounterLayout layout() {
        return layout;
    }
}
