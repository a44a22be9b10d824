package io.astaire.dataplane.resolve;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks a preferred name server first and another when it does not help: on Kubernetes the
 * node-local dnsmasq cache ({@code DNS_IP}) first, the pod's own resolvers (the cluster DNS) next.
 *
 * <p>The preferred server is asked with a short timeout. When it fails and the fallback answers,
 * the preferred one is benched for {@code bench}: lookups go straight to the fallback, so a node
 * whose cache is not running yet (the DaemonSet still starting, or not installed) does not wait
 * out a timeout on every lookup. After the bench it is asked again. All of this runs on the
 * lookups' own threads; the packet path only ever reads what {@link HopResolver} cached.
 */
public final class FallbackNameLookup implements NameLookup {

    private static final Logger LOG = LoggerFactory.getLogger(FallbackNameLookup.class);

    private final NameLookup preferred;
    private final NameLookup fallback;
    private final String preferredName;
    private final long benchNanos;
    private final LongSupplier clock;
    private volatile long benchedUntil;
    private volatile boolean benched;

    public FallbackNameLookup(NameLookup preferred, String preferredName, NameLookup fallback, Duration bench) {
        this(preferred, preferredName, fallback, bench, System::nanoTime);
    }

    FallbackNameLookup(NameLookup preferred, String preferredName, NameLookup fallback, Duration bench, LongSupplier clock) {
        this.preferred = preferred;
        this.preferredName = preferredName;
        this.fallback = fallback;
        this.benchNanos = bench.toNanos();
        this.clock = clock;
    }

    /** Whether lookups skip the preferred server right now. */
    public boolean preferredBenched() {
        return benched && clock.getAsLong() - benchedUntil < 0;
    }

    @Override
    public CompletableFuture<Answer> lookup(String host) {
        if (preferredBenched()) {
            return fallback.lookup(host);
        }
        return preferred.lookup(host)
                .thenApply(answer -> {
                    if (benched) {
                        benched = false;
                        LOG.info("name server {} answers again; asking it first", preferredName);
                    }
                    return CompletableFuture.completedFuture(answer);
                })
                .exceptionally(preferredFailed -> fallback.lookup(host).thenApply(answer -> {
                    bench(host, preferredFailed);
                    return answer;
                }))
                .thenCompose(f -> f);
    }

    private void bench(String host, Throwable why) {
        benchedUntil = clock.getAsLong() + benchNanos;
        if (!benched) {
            benched = true;
            LOG.warn("name server {} failed for {} ({}) while the fallback answered; asking the fallback first for {} ms",
                    preferredName, host, why.getMessage(), benchNanos / 1_000_000);
        }
    }

    @Override
    public void close() {
        try {
            preferred.close();
        } finally {
            fallback.close();
        }
    }
}
