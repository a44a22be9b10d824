package io.astaire.dataplane.forward;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the table's owner back when the earliest retained route of its table has drained, so
 * the owner publishes {@link ForwardingTable#withoutExpired} without waiting for the next
 * topology change. One daemon thread; a new {@link #schedule} replaces the pending call.
 */
public final class DrainTimer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DrainTimer.class);

    private final ScheduledExecutorService executor;
    private ScheduledFuture<?> pending;

    public DrainTimer(String name) {
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name(name).unstarted(r));
    }

    /** Runs {@code expire} at {@code deadlineNanos} ({@link System#nanoTime()}); nothing for {@link Long#MAX_VALUE}. */
    public synchronized void schedule(long deadlineNanos, Runnable expire) {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
        if (deadlineNanos == Long.MAX_VALUE || executor.isShutdown()) {
            return;
        }
        long delay = Math.max(0, deadlineNanos - System.nanoTime());
        pending = executor.schedule(() -> {
            try {
                expire.run();
            } catch (RuntimeException e) {
                LOG.error("removing drained routes failed; they stay until the next topology change", e);
            }
        }, delay, TimeUnit.NANOSECONDS);
    }

    @Override
    public synchronized void close() {
        executor.shutdownNow();
    }
}
