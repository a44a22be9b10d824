package io.astaire.dataplane.resolve;

import io.astaire.dataplane.transport.Endpoint;
import io.astaire.model.HopAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every hop name a node forwards to resolved, off the packet path.
 *
 * <p>{@link #hop} returns the one {@link ResolvedHop} of a name at once and resolves it in the
 * background: IP literals immediately, names through {@link NameLookup}, cached for the answer's
 * TTL clamped to [{@code minTtl}, {@code maxTtl}] and then asked again. A failed lookup keeps the
 * last good answer and is retried after {@code minTtl}. A replica reported unreachable
 * ({@link #markUnreachable}) is left out of the flow choice for {@code holdDown}, then tried again;
 * if it is still gone, the next ICMP error takes it out again.
 */
public final class HopResolver implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HopResolver.class);

    /**
     * @param minTtl shortest time an answer is kept (also the retry delay after a failure)
     * @param maxTtl longest time an answer is kept, whatever its TTL
     * @param holdDown how long an unreachable replica stays out
     */
    public record Options(Duration minTtl, Duration maxTtl, Duration holdDown) {
        public Options {
            if (minTtl.isNegative() || minTtl.isZero() || maxTtl.compareTo(minTtl) < 0 || holdDown.isNegative()) {
                throw new IllegalArgumentException("need 0 < minTtl <= maxTtl and holdDown >= 0");
            }
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(5));
        }
    }

    private final NameLookup lookup;
    private final Options options;
    private final ScheduledExecutorService scheduler;
    private final Map<HopAddress, Entry> entries = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** What the resolver knows about one name; mutated only under its own lock. */
    private static final class Entry {
        final ResolvedHop hop;
        List<Endpoint> answer = List.of();
        final Map<Endpoint, Long> downUntil = new HashMap<>();
        ScheduledFuture<?> refresh;
        boolean answered;
        final CompletableFuture<Void> firstAnswer = new CompletableFuture<>();

        Entry(HopAddress name) {
            this.hop = new ResolvedHop(name);
        }
    }

    public HopResolver(NameLookup lookup, Options options) {
        this.lookup = lookup;
        this.options = options;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "astaire-resolver");
            t.setDaemon(true);
            return t;
        });
    }

    /** The resolved hop of a name; starts resolving it when new. */
    public ResolvedHop hop(HopAddress name) {
        Entry e = entries.computeIfAbsent(name, n -> {
            Entry created = new Entry(n);
            InetAddress literal = literal(n.host());
            if (literal != null) {
                synchronized (created) {
                    created.answer = List.of(Endpoint.of(literal, n.port()));
                    created.answered = true;
                    publish(created);
                }
                created.firstAnswer.complete(null);
            }
            return created;
        });
        synchronized (e) {
            if (!e.answered && e.refresh == null && !closed) {
                e.refresh = scheduler.schedule(() -> refresh(e), 0, TimeUnit.MILLISECONDS);
            }
        }
        return e.hop;
    }

    /** Completes when each of these hops got a first answer (or failed once); for start-up. */
    public CompletableFuture<Void> firstAnswers(Collection<ResolvedHop> hops) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (ResolvedHop h : hops) {
            Entry e = entries.get(h.name());
            if (e != null) {
                all.add(e.firstAnswer);
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /** Stops resolving names not in {@code keep} (after a topology change). */
    public void retainOnly(Set<HopAddress> keep) {
        for (var it = entries.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (!keep.contains(entry.getKey())) {
                Entry e = entry.getValue();
                synchronized (e) {
                    if (e.refresh != null) {
                        e.refresh.cancel(false);
                    }
                }
                it.remove();
            }
        }
    }

    /**
     * Takes a replica out of every name that lists it, for the hold-down time: it answered a
     * datagram with ICMP unreachable. Called from a worker on its rare path (takes locks).
     */
    public void markUnreachable(InetSocketAddress destination) {
        if (closed) {
            return;
        }
        long until = System.nanoTime() + options.holdDown().toNanos();
        for (Entry e : entries.values()) {
            synchronized (e) {
                for (Endpoint ep : e.answer) {
                    if (ep.address().equals(destination) && !e.downUntil.containsKey(ep)) {
                        e.downUntil.put(ep, until);
                        LOG.warn("{}: replica {} is unreachable (ICMP); its flows move to the others for {}",
                                e.hop.name(), ep, options.holdDown());
                        publish(e);
                        scheduler.schedule(() -> recover(e, ep), options.holdDown().toNanos(), TimeUnit.NANOSECONDS);
                    }
                }
            }
        }
    }

    private void recover(Entry e, Endpoint ep) {
        synchronized (e) {
            if (e.downUntil.remove(ep) != null) {
                LOG.info("{}: trying replica {} again", e.hop.name(), ep);
                publish(e);
            }
        }
    }

    private void refresh(Entry e) {
        if (closed || entries.get(e.hop.name()) != e) {
            return;
        }
        HopAddress name = e.hop.name();
        CompletableFuture<NameLookup.Answer> f;
        try {
            f = lookup.lookup(name.host());
        } catch (RuntimeException ex) {
            f = CompletableFuture.failedFuture(ex);
        }
        f.whenComplete((answer, failure) -> {
            Duration next;
            synchronized (e) {
                if (failure != null) {
                    next = options.minTtl();
                    LOG.warn("{}: lookup failed ({}); keeping {} and retrying in {}", name,
                            failure.getMessage(), e.answer.isEmpty() ? "no address" : e.answer, next);
                } else {
                    List<Endpoint> endpoints = new ArrayList<>();
                    for (InetAddress a : answer.addresses()) {
                        endpoints.add(Endpoint.of(a, name.port()));
                    }
                    Set<Endpoint> before = new HashSet<>(e.answer);
                    if (!before.equals(new HashSet<>(endpoints))) {
                        LOG.info("{} resolves to {} (ttl {}s)", name, endpoints, answer.ttl().toSeconds());
                    }
                    e.answer = List.copyOf(endpoints);
                    e.downUntil.keySet().retainAll(endpoints);
                    e.answered = true;
                    publish(e);
                    next = clamp(answer.ttl());
                }
                if (!closed && entries.get(name) == e) {
                    e.refresh = scheduler.schedule(() -> refresh(e), next.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            e.firstAnswer.complete(null);
        });
    }

    private Duration clamp(Duration ttl) {
        if (ttl.compareTo(options.minTtl()) < 0) {
            return options.minTtl();
        }
        return ttl.compareTo(options.maxTtl()) > 0 ? options.maxTtl() : ttl;
    }

    private static void publish(Entry e) {
        e.hop.replicas(new ReplicaSet(e.answer, e.downUntil.keySet()));
    }

    /** An IPv4/IPv6 literal, or null for a name. */
    static InetAddress literal(String host) {
        try {
            return InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The hops currently resolved, for logs and tests. */
    public Collection<ResolvedHop> hops() {
        List<ResolvedHop> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            out.add(e.hop);
        }
        return out;
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        lookup.close();
    }
}
