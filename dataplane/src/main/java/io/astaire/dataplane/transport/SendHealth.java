package io.astaire.dataplane.transport;

import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a role can send to its next hops at all: a role whose every send failed over the last
 * look (at least {@link #MIN_WINDOW_NANOS} apart; readiness probes and scrapes look) carries
 * nothing, such as an IPv4 socket asked to send to IPv6 hops, and must not answer ready. No
 * traffic is no evidence: a quiet role stays healthy. Logs once when sends start failing (with the
 * kernel's reason) and once when they work again. Read off the packet path; the counters it reads
 * are the ones the workers keep anyway.
 */
public final class SendHealth {
    private static final Logger LOG = LoggerFactory.getLogger(SendHealth.class);
    static final long MIN_WINDOW_NANOS = 1_000_000_000L;

    private final String role;
    private final LongSupplier attempted;
    private final LongSupplier failed;
    private final Supplier<String> lastError;
    private long lastAttempted;
    private long lastFailed;
    private long lastLook = Long.MIN_VALUE;
    private String problem;

    /**
     * @param attempted datagrams the role handed to its sockets so far (sent or not)
     * @param failed those of them the kernel refused
     * @param lastError the kernel's last reason, or null
     */
    public SendHealth(String role, LongSupplier attempted, LongSupplier failed, Supplier<String> lastError) {
        this.role = role;
        this.attempted = attempted;
        this.failed = failed;
        this.lastError = lastError;
    }

    /** The last error any of {@code transports} reports (for {@code lastError}). */
    public static Supplier<String> lastErrorOf(List<? extends DatagramTransport> transports) {
        return () -> {
            for (DatagramTransport t : transports) {
                String e = t.lastSendError();
                if (e != null) {
                    return e;
                }
            }
            return null;
        };
    }

    /** Why the role cannot send (every send failed since the previous look), or null while it can. */
    public synchronized String problem() {
        return look(System.nanoTime());
    }

    /** 1 while every recent send failed, else 0: for a gauge. */
    public double failing() {
        return problem() == null ? 0 : 1;
    }

    synchronized String look(long now) {
        if (lastLook != Long.MIN_VALUE && now - lastLook < MIN_WINDOW_NANOS) {
            return problem;
        }
        long a = attempted.getAsLong();
        long f = failed.getAsLong();
        if (lastLook != Long.MIN_VALUE) {
            long tried = a - lastAttempted;
            long refused = f - lastFailed;
            String before = problem;
            if (tried > 0 && refused >= tried) {
                String why = lastError.get();
                problem = "every send to the next hops failed in the last " + (now - lastLook) / 1_000_000 + " ms ("
                        + refused + " datagrams)" + (why == null ? "" : ": " + why);
                if (before == null) {
                    LOG.warn("{}: {}; not ready until sends work (wrong address family for a next hop? try --listen)", role, problem);
                }
            } else {
                problem = null;
                if (before != null) {
                    LOG.info("{}: sends to the next hops work again", role);
                }
            }
        }
        lastAttempted = a;
        lastFailed = f;
        lastLook = now;
        return problem;
    }
}
