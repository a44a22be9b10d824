package io.astaire.controller;

import io.astaire.model.ChainSpec;
import io.astaire.model.FunctionSpec;
import io.astaire.model.RuleSpec;
import io.astaire.model.Topology;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One immutable version of the registry: every item with its version, and the validated
 * {@link Topology} they make. Readers take the current state without locking; writers build the
 * next one and swap it in after the database committed.
 */
public final class RegistryState {
    private final long version;
    private final long nextSpi;
    private final Map<Kind, SortedMap<String, Item<?>>> items;
    private final Topology topology;

    /**
     * @throws io.astaire.model.ModelException when the items do not make a valid topology; the
     *     field path uses names ({@code chains[web].spi}), not list indexes
     */
    public RegistryState(long version, long nextSpi, Map<Kind, ? extends Map<String, Item<?>>> items) {
        this.version = version;
        this.nextSpi = nextSpi;
        EnumMap<Kind, SortedMap<String, Item<?>>> copy = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            Map<String, Item<?>> m = items.get(k);
            copy.put(k, Collections.unmodifiableSortedMap(new TreeMap<>(m == null ? Map.of() : m)));
        }
        this.items = copy;
        this.topology = buildTopology();
    }

    public static RegistryState empty() {
        return new RegistryState(0, 1, Map.of());
    }

    /** The global version: bumped by every write that changed something. */
    public long version() {
        return version;
    }

    /** The next SPI the controller hands out; SPIs of deleted chains are not reused soon. */
    public long nextSpi() {
        return nextSpi;
    }

    public Topology topology() {
        return topology;
    }

    /** The items of one kind, sorted by name. */
    public SortedMap<String, Item<?>> items(Kind kind) {
        return items.get(kind);
    }

    public Item<?> item(Kind kind, String name) {
        return items.get(kind).get(name);
    }

    @SuppressWarnings("unchecked")
    public Item<Settings> settings() {
        Item<?> s = items.get(Kind.SETTINGS).get(Kind.SETTINGS_NAME);
        return s == null ? new Item<>(Settings.EMPTY, 0) : (Item<Settings>) s;
    }

    private Topology buildTopology() {
        List<FunctionSpec> functions = specs(Kind.FUNCTION, FunctionSpec.class);
        List<ChainSpec> chains = specs(Kind.CHAIN, ChainSpec.class);
        List<RuleSpec> rules = specs(Kind.RULE, RuleSpec.class);
        Settings s = settings().spec();
        try {
            return new Topology(functions, chains, rules, s.ingress(), s.egress(), s.defaultChain());
        } catch (io.astaire.model.ModelException e) {
            throw new io.astaire.model.ModelException(namedField(e.field()), problem(e));
        }
    }

    private <T> List<T> specs(Kind kind, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Item<?> i : items.get(kind).values()) {
            out.add(type.cast(i.spec()));
        }
        return out;
    }

    /** {@code chains[2].spi} becomes {@code chains[web].spi}: an API user knows names, not our order. */
    private String namedField(String field) {
        for (Kind k : List.of(Kind.FUNCTION, Kind.CHAIN, Kind.RULE)) {
            String prefix = k.plural() + "[";
            if (field.startsWith(prefix)) {
                int close = field.indexOf(']');
                try {
                    int index = Integer.parseInt(field.substring(prefix.length(), close));
                    List<String> names = new ArrayList<>(items.get(k).keySet());
                    if (index >= 0 && index < names.size()) {
                        return prefix + names.get(index) + field.substring(close);
                    }
                } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                    return field;
                }
            }
        }
        return field;
    }

    private static String problem(io.astaire.model.ModelException e) {
        String m = e.getMessage();
        String prefix = e.field() + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }
}
