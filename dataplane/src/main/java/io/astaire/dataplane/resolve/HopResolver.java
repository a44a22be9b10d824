package io.astaire.dataplane.resolve;

import io.astaire.dataplane.transport.Endpoint;
import io.astaire.model.HopAddress;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every hop name a node forwards to resolved, off the packet path.
 *
 * <p>{@link #hop} returns the one {@link ResolvedHop} of a name at once and resolves it in the
 * background: IP literals immediately, names through {@link NameLookup}, cached for the answer's
 * TTL clamped to [{@code minTtl}, {@code maxTtl}] and then asked again. A failed lookup keeps the
 * last good answer and is retried after {@code minTtl}.
 *
 * <p>A replica reported unreachable ({@link #markUnreachable}, from the ICMP errors a worker
 * drains) is left out of the flow choice until it answers an NSH OAM echo ({@link ReplicaProber}):
 * after {@code holdDown} the resolver's own thread sends it a probe every {@code probeInterval},
 * and the first answer puts it back. A replica that stays dead in DNS therefore costs packets only
 * until the first ICMP error, never again at a timer. Every ICMP error is one datagram lost to that
 * replica: counted per replica ({@code astaire_next_hop_unreachable_total{replica}}).
 */
public final class HopResolver implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HopResolver.class);

    /**
     * @param minTtl shortest time an answer is kept (also the retry delay after a failure)
     * @param maxTtl longest time an answer is kept, whatever its TTL
     * @param holdDown the least time an unreachable replica stays out (then it is probed)
     * @param probeInterval how often a replica that is out is probed until it answers
     */
    public record Options(Duration minTtl, Duration maxTtl, Duration holdDown, Duration probeInterval) {
        public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(1);

        public Options {
            if (minTtl.isNegative() || minTtl.isZero() || maxTtl.compareTo(minTtl) < 0 || holdDown.isNegative()) {
                throw new IllegalArgumentException("need 0 < minTtl <= maxTtl and holdDown >= 0");
            }
            if (probeInterval.toMillis() < 10) {
                throw new IllegalArgumentException("the probe interval must be at least 10ms, was " + probeInterval);
            }
        }

        /** With the default probe interval. */
        public Options(Duration minTtl, Duration maxTtl, Duration holdDown) {
            this(minTtl, maxTtl, holdDown, DEFAULT_PROBE_INTERVAL);
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(5));
        }
    }

    /** Replicas with a loss counter of their own; further ones count under {@code replica="other"}. */
    static final int MAX_COUNTED_REPLICAS = 256;

    private final NameLookup lookup;
    private final Options options;
    private final ScheduledExecutorService scheduler;
    private final Map<HopAddress, Entry> entries = new ConcurrentHashMap<>();
    private final ReplicaProber prober = new ReplicaProber(this::answered);
    /** Probes in flight: nonce → the name and replica probed. */
    private final Map<Long, Probe> probes = new ConcurrentHashMap<>();
    private final UnreachableCounts unreachable = new UnreachableCounts(MAX_COUNTED_REPLICAS);
    private volatile boolean closed;

    /** A probe sent; an answer within {@link #ANSWER_WINDOW} probe intervals counts, so a slow replica still returns. */
    private record Probe(Entry entry, Endpoint replica, long sentAt) {}

    private static final int ANSWER_WINDOW = 3;

    /** What the resolver knows about one name; mutated only under its own lock. */
    private static final class Entry {
        final ResolvedHop hop;
        List<Endpoint> answer = List.of();
        /** Replicas that are out, with the nonce of the probe last sent to each (0: none yet). */
        final Map<Endpoint, Long> down = new HashMap<>();
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
                probes.values().removeIf(p -> p.entry() == e); // its probes stop at their next turn
            }
        }
    }

    /**
     * A datagram to {@code destination} came back as ICMP unreachable: counts it as lost to that
     * replica and takes the replica out of every name that lists it until it answers a probe.
     * Called from a worker on its rare path (takes locks; allocates only for a new replica).
     */
    public void markUnreachable(InetSocketAddress destination) {
        if (closed) {
            return;
        }
        boolean known = false;
        for (Entry e : entries.values()) {
            synchronized (e) {
                for (Endpoint ep : e.answer) {
                    if (ep.address().equals(destination)) {
                        known = true;
                        if (!e.down.containsKey(ep)) {
                            e.down.put(ep, 0L);
                            LOG.warn("{}: replica {} is unreachable (ICMP); its flows move to the others until it answers a probe",
                                    e.hop.name(), ep);
                            publish(e);
                            later(() -> probe(e, ep), options.holdDown());
                        }
                    }
                }
            }
        }
        unreachable.count(destination, known);
    }

    /** Sends {@code ep} a probe, and again every probe interval while it stays out (resolver thread). */
    private void probe(Entry e, Endpoint ep) {
        long nonce;
        synchronized (e) {
            Long previous = e.down.get(ep);
            if (closed || previous == null || entries.get(e.hop.name()) != e) {
                return; // it answered, left the answer, or the name is no longer used
            }
            long now = System.nanoTime();
            long expired = now - ANSWER_WINDOW * options.probeInterval().toNanos();
            probes.values().removeIf(p -> p.entry() == e && p.replica().equals(ep) && p.sentAt() < expired);
            do {
                nonce = ThreadLocalRandom.current().nextLong();
            } while (nonce == 0L);
            e.down.put(ep, nonce);
            probes.put(nonce, new Probe(e, ep, now));
        }
        prober.probe(ep, nonce);
        later(() -> probe(e, ep), options.probeInterval());
    }

    /** Runs {@code task} on the resolver's thread after {@code delay}, unless the resolver is closing. */
    private void later(Runnable task, Duration delay) {
        try {
            scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // closed meanwhile: nothing more to do
        }
    }

    /** A replica answered the probe with this nonce: it takes its flows back (prober thread). */
    private void answered(long nonce) {
        Probe p = probes.remove(nonce);
        if (p == null) {
            return; // late, or not ours
        }
        Entry e = p.entry();
        synchronized (e) {
            if (e.down.remove(p.replica()) != null) {
                probes.values().removeIf(other -> other.entry() == e && other.replica().equals(p.replica()));
                LOG.info("{}: replica {} answered a probe; its flows return to it", e.hop.name(), p.replica());
                publish(e);
            }
        }
    }

    /** Datagrams lost to {@code replica} (ICMP unreachable errors drained for it). */
    public long unreachableCount(InetSocketAddress replica) {
        return unreachable.value(replica);
    }

    /**
     * Publishes the loss counts on {@code registry} as {@code astaire_next_hop_unreachable_total{replica}}
     * (a series appears with a replica's first loss; at most {@value #MAX_COUNTED_REPLICAS} + "other").
     */
    public void meters(MeterRegistry registry) {
        unreachable.bind(registry, scheduler);
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
                    for (var it = e.down.entrySet().iterator(); it.hasNext(); ) {
                        var out = it.next();
                        if (!endpoints.contains(out.getKey())) {
                            probes.values().removeIf(p -> p.entry() == e && p.replica().equals(out.getKey()));
                            it.remove(); // no longer in the answer: forget it, stop probing it
                        }
                    }
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
        e.hop.replicas(new ReplicaSet(e.answer, e.down.keySet()));
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
        prober.close();
        lookup.close();
    }
}
