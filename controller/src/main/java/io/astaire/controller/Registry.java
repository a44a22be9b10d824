package io.astaire.controller;

import io.astaire.dataplane.classify.ClassifierLimit;
import io.astaire.dataplane.classify.ClassifierTooLargeException;
import io.astaire.model.ChainSpec;
import io.astaire.model.FunctionSpec;
import io.astaire.model.ModelException;
import io.astaire.model.RuleSpec;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The chain and classifier registry: functions, chains, rules and settings, each item versioned,
 * the whole always a valid {@link io.astaire.model.Topology}. Every write builds the next state,
 * validates the whole topology, commits it to the {@link TopologyStore} in one transaction and
 * only then makes it visible and wakes the watchers. A write that changes nothing bumps nothing.
 */
public final class Registry implements AutoCloseable {
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    /** What a write did to one item. */
    public enum Action {
        CREATED, UPDATED, UNCHANGED, DELETED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One line of an apply report. */
    public record Outcome(Kind kind, String name, Action action) {}

    /** The result of a write: what happened to each item, and the version it produced. */
    public record WriteResult(long version, List<Outcome> outcomes) {}

    private final TopologyStore store;
    private final FunctionConfigValidator configs;
    private final VersionWatch watch = new VersionWatch();
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile RegistryState state;
    private volatile ClassifierLimit classifierLimit = ClassifierLimit.DEFAULT;

    public Registry(TopologyStore store) {
        this(store, FunctionConfigValidator.load());
    }

    /** A registry whose writes check function configs with {@code configs}. */
    public Registry(TopologyStore store, FunctionConfigValidator configs) {
        this.store = store;
        this.configs = configs;
        this.state = store.load();
    }

    /** The function kinds whose configs this registry checks before storing them. */
    public Set<String> validatedKinds() {
        return configs.kinds();
    }

    /**
     * The memory bound on the edges' classifier: a write whose rule set would exceed it is refused
     * (422 on {@code rules}, naming the size and the limit) and stores nothing. The edges apply
     * the same bound ({@code --max-classifier-memory}); set both alike.
     */
    public void classifierLimit(ClassifierLimit limit) {
        this.classifierLimit = Objects.requireNonNull(limit);
    }

    public ClassifierLimit classifierLimit() {
        return classifierLimit;
    }

    public RegistryState state() {
        return state;
    }

    public VersionWatch watch() {
        return watch;
    }

    public TopologyStore store() {
        return store;
    }

    /** Creates an item; 409 when one of that name exists. */
    public WriteResult create(Kind kind, Object spec) {
        return write(d -> {
            String name = kind.nameOf(spec);
            if (name != null && d.get(kind, name) != null) {
                throw ApiException.conflict(kind.plural() + "[" + name + "].name",
                        "a " + kind.singular() + " named '" + name + "' exists; PUT /api/v1/" + kind.plural() + "/" + name + " replaces it");
            }
            return List.of(d.put(kind, spec, kind.plural() + "[" + name + "]"));
        }, false);
    }

    /** Creates or replaces the item {@code name}; {@code ifMatch} (an ETag, {@code *} or null) guards it. */
    public WriteResult put(Kind kind, String name, Object spec, String ifMatch) {
        String bodyName = kind.nameOf(spec);
        if (!Objects.equals(name, bodyName)) {
            throw ApiException.badRequest("name", "the body names '" + bodyName + "' but the path names '" + name + "'");
        }
        return write(d -> {
            checkPrecondition(kind, name, d.get(kind, name), ifMatch);
            return List.of(d.put(kind, spec, kind.plural() + "[" + name + "]"));
        }, false);
    }

    /** Deletes the item; 404 when absent, 409 while other items refer to it. */
    public WriteResult delete(Kind kind, String name, String ifMatch) {
        return write(d -> {
            Item<?> existing = d.get(kind, name);
            if (existing == null) {
                throw ApiException.notFound(kind, name);
            }
            checkPrecondition(kind, name, existing, ifMatch);
            List<String> users = d.usersOf(kind, name);
            if (!users.isEmpty()) {
                throw ApiException.conflict(null, kind.singular() + " '" + name + "' is used by " + String.join(", ", users)
                        + "; change or delete " + (users.size() == 1 ? "it" : "them") + " first");
            }
            return List.of(d.remove(kind, name));
        }, false);
    }

    /**
     * Merges a topology document: creates and updates its items, leaves others alone unless
     * {@code prune}, in which case whatever the document does not name is deleted (and settings it
     * does not name are cleared). One transaction: all of it or nothing. {@code ifMatch}, when
     * given, is the ETag of the whole topology ({@code GET /api/v1/topology}) the caller started from.
     */
    public WriteResult apply(ApplyDocument doc, boolean prune, boolean dryRun, String ifMatch) {
        return write(d -> {
            if (!IfMatch.parse(ifMatch).matches(Item.etag(d.version))) {
                throw new ApiException(412, null, "the topology is at version " + Item.etag(d.version) + ", not " + ifMatch.trim()
                        + ": someone changed it since you read it; GET /api/v1/topology again and retry");
            }
            d.reserve(doc.chains());
            List<Outcome> outcomes = new ArrayList<>();
            Map<Kind, Set<String>> named = new EnumMap<>(Kind.class);
            putAll(d, Kind.FUNCTION, doc.functions(), outcomes, named);
            putAll(d, Kind.CHAIN, doc.chains(), outcomes, named);
            putAll(d, Kind.RULE, doc.rules(), outcomes, named);
            if (doc.hasSettings() || prune) {
                Settings old = d.settings();
                Settings s = prune
                        ? new Settings(doc.ingress(), doc.egress(), doc.defaultChain())
                        : new Settings(doc.hasIngress() ? doc.ingress() : old.ingress(),
                                doc.hasEgress() ? doc.egress() : old.egress(),
                                doc.hasDefaultChain() ? doc.defaultChain() : old.defaultChain());
                outcomes.add(d.put(Kind.SETTINGS, s, "settings"));
            }
            if (prune) {
                // Rules first, then chains, then functions: the order in which references allow it.
                for (Kind k : List.of(Kind.RULE, Kind.CHAIN, Kind.FUNCTION)) {
                    for (String name : new ArrayList<>(d.names(k))) {
                        if (!named.getOrDefault(k, Set.of()).contains(name)) {
                            outcomes.add(d.remove(k, name));
                        }
                    }
                }
            }
            return outcomes;
        }, dryRun);
    }

    private static void putAll(Draft d, Kind kind, List<?> specs, List<Outcome> outcomes, Map<Kind, Set<String>> named) {
        Set<String> seen = named.computeIfAbsent(kind, k -> new HashSet<>());
        for (int i = 0; i < specs.size(); i++) {
            Object spec = specs.get(i);
            String at = kind.plural() + "[" + i + "]";
            if (spec == null) {
                throw ApiException.invalid(at, "is empty");
            }
            String name = kind.nameOf(spec);
            if (name != null && !seen.add(name)) {
                throw ApiException.invalid(at + ".name", "'" + name + "' is declared twice");
            }
            outcomes.add(d.put(kind, spec, at));
        }
    }

    private static void checkPrecondition(Kind kind, String name, Item<?> existing, String ifMatch) {
        IfMatch want = IfMatch.parse(ifMatch);
        if (want.matches(existing == null ? null : existing.etag())) {
            return;
        }
        if (want.any()) {
            throw new ApiException(412, null, "If-Match: * but no " + kind.singular() + " named '" + name + "' exists");
        }
        throw new ApiException(412, null, kind.singular() + " '" + name + "' is "
                + (existing == null ? "absent" : "at version " + existing.etag())
                + ", not " + ifMatch.trim() + ": someone changed it since you read it; GET it again and retry");
    }

    private WriteResult write(Function<Draft, List<Outcome>> change, boolean dryRun) {
        writeLock.lock();
        try {
            RegistryState current = state;
            Draft d = new Draft(current, configs);
            List<Outcome> outcomes = change.apply(d);
            d.checkSpis();
            if (!d.changed()) {
                return new WriteResult(current.version(), outcomes);
            }
            long version = current.version() + 1;
            RegistryState next;
            try {
                next = d.build(version);
            } catch (ModelException e) {
                throw ApiException.invalid(e.field(), e.getMessage());
            }
            try {
                classifierLimit.check(next.topology());
            } catch (ClassifierTooLargeException e) {
                throw ApiException.invalid("rules", "the edges would refuse this rule set: " + e.getMessage());
            }
            if (dryRun) {
                return new WriteResult(version, outcomes);
            }
            store.commit(version, next.nextSpi(), d.changes(next));
            state = next;
            watch.publish(version);
            return new WriteResult(version, outcomes);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public void close() {
        watch.publish(state.version());
        store.close();
    }

    /** The next state under construction: the current items, with this write's puts and removals. */
    private static final class Draft {
        private final Map<Kind, TreeMap<String, Item<?>>> items = new EnumMap<>(Kind.class);
        /** Per kind, the items this write touched: the new spec, or null for a deletion. */
        private final Map<Kind, LinkedHashMap<String, Object>> touched = new EnumMap<>(Kind.class);
        private long nextSpi;
        private final long version;
        /** SPIs the write names explicitly: never allocated to another chain of the same write. */
        private final Set<Integer> reserved = new HashSet<>();

        private final FunctionConfigValidator configs;

        Draft(RegistryState s, FunctionConfigValidator configs) {
            this.configs = configs;
            version = s.version();
            for (Kind k : Kind.values()) {
                items.put(k, new TreeMap<>(s.items(k)));
                touched.put(k, new LinkedHashMap<>());
            }
            nextSpi = s.nextSpi();
        }

        Item<?> get(Kind kind, String name) {
            return items.get(kind).get(name);
        }

        Set<String> names(Kind kind) {
            return items.get(kind).keySet();
        }

        Settings settings() {
            Item<?> i = items.get(Kind.SETTINGS).get(Kind.SETTINGS_NAME);
            return i == null ? Settings.EMPTY : (Settings) i.spec();
        }

        void reserve(List<ChainSpec> chains) {
            for (ChainSpec c : chains) {
                if (c != null && c.spi() != null) {
                    reserved.add(c.spi());
                }
            }
        }

        /** 409 when two chains of the drafted state share an SPI, blaming a chain this write touched. */
        void checkSpis() {
            Map<Integer, String> owner = new java.util.HashMap<>();
            for (Map.Entry<String, Item<?>> e : items.get(Kind.CHAIN).entrySet()) {
                Integer spi = ((ChainSpec) e.getValue().spec()).spi();
                String other = owner.putIfAbsent(spi, e.getKey());
                if (other != null) {
                    String blamed = touched.get(Kind.CHAIN).containsKey(e.getKey()) ? e.getKey() : other;
                    String holder = blamed.equals(e.getKey()) ? other : e.getKey();
                    throw ApiException.conflict("chains[" + blamed + "].spi", "SPI " + spi + " is used by chain '" + holder + "'");
                }
            }
        }

        boolean changed() {
            return touched.values().stream().anyMatch(m -> !m.isEmpty());
        }

        Outcome put(Kind kind, Object spec, String at) {
            String name = kind.nameOf(spec);
            if (kind != Kind.SETTINGS && (name == null || !NAME.matcher(name).matches())) {
                throw ApiException.invalid(at + ".name", (name == null ? "is required" : "'" + name + "' is not a valid name")
                        + " (lower-case letters, digits and '-', at most 63, like a Kubernetes name)");
            }
            Item<?> existing = get(kind, name);
            if (spec instanceof ChainSpec c) {
                spec = withSpi(c, existing, at);
            }
            if (existing != null && existing.spec().equals(spec)) {
                return new Outcome(kind, name, Action.UNCHANGED);
            }
            if (spec instanceof FunctionSpec f) {
                configs.check(f, at);
            }
            // The version is stamped when the write commits; -1 marks "this write".
            items.get(kind).put(name, new Item<>(spec, -1));
            touched.get(kind).put(name, spec);
            return new Outcome(kind, name, existing == null ? Action.CREATED : Action.UPDATED);
        }

        Outcome remove(Kind kind, String name) {
            items.get(kind).remove(name);
            touched.get(kind).put(name, null);
            return new Outcome(kind, name, Action.DELETED);
        }

        /** Keeps the stored SPI when the spec names none; allocates a fresh one for a new chain. */
        private ChainSpec withSpi(ChainSpec c, Item<?> existing, String at) {
            // Uniqueness is checked once the whole write is drafted (checkSpis), so that one apply
            // may swap the SPIs of two chains.
            Set<Integer> used = new HashSet<>(reserved);
            for (Map.Entry<String, Item<?>> e : items.get(Kind.CHAIN).entrySet()) {
                if (!e.getKey().equals(c.name())) {
                    used.add(((ChainSpec) e.getValue().spec()).spi());
                }
            }
            if (c.spi() != null) {
                if (c.spi() >= nextSpi && c.spi() <= ChainSpec.MAX_FORWARD_SPI) {
                    nextSpi = c.spi() + 1L;
                }
                return c;
            }
            if (existing != null) {
                return c.withSpi(((ChainSpec) existing.spec()).spi());
            }
            long spi = nextSpi;
            while (spi <= ChainSpec.MAX_FORWARD_SPI && used.contains((int) spi)) {
                spi++;
            }
            if (spi > ChainSpec.MAX_FORWARD_SPI) {
                // The counter ran out: fall back to the lowest free SPI.
                spi = 1;
                while (used.contains((int) spi)) {
                    spi++;
                }
            }
            nextSpi = spi + 1;
            return c.withSpi((int) spi);
        }

        /** Who refers to {@code kind/name}: chains use functions; rules and the default chain use chains. */
        List<String> usersOf(Kind kind, String name) {
            List<String> users = new ArrayList<>();
            if (kind == Kind.FUNCTION) {
                for (Item<?> i : items.get(Kind.CHAIN).values()) {
                    ChainSpec c = (ChainSpec) i.spec();
                    if (c.functions().contains(name)) {
                        users.add("chain '" + c.name() + "'");
                    }
                }
            } else if (kind == Kind.CHAIN) {
                for (Item<?> i : items.get(Kind.RULE).values()) {
                    RuleSpec r = (RuleSpec) i.spec();
                    if (name.equals(r.chain())) {
                        users.add("rule '" + r.name() + "'");
                    }
                }
                if (name.equals(settings().defaultChain())) {
                    users.add("settings.defaultChain");
                }
            }
            return users;
        }

        RegistryState build(long version) {
            Map<Kind, Map<String, Item<?>>> stamped = new EnumMap<>(Kind.class);
            for (Kind k : Kind.values()) {
                Map<String, Item<?>> m = new TreeMap<>(items.get(k));
                for (Map.Entry<String, Object> t : touched.get(k).entrySet()) {
                    if (t.getValue() != null) {
                        m.put(t.getKey(), new Item<>(t.getValue(), version));
                    }
                }
                stamped.put(k, m);
            }
            return new RegistryState(version, nextSpi, stamped);
        }

        List<TopologyStore.Change> changes(RegistryState next) {
            List<TopologyStore.Change> out = new ArrayList<>();
            for (Kind k : Kind.values()) {
                for (Map.Entry<String, Object> t : touched.get(k).entrySet()) {
                    out.add(new TopologyStore.Change(k, t.getKey(), t.getValue() == null ? null : next.item(k, t.getKey())));
                }
            }
            return out;
        }
    }
}
