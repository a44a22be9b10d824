package io.astaire.operator;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconciler's queue: keys to work on, each at most once in the queue however many events
 * named it, worked one at a time on one thread, and retried when the work throws, after {@code retryDelay} doubled for each failure in a row
 * (up to 30 s) (the API server refused, a conflict, a lost connection).
 */
final class WorkQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkQueue.class);

    private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(30);

    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    /** Failures in a row per key: the retry delay doubles with each, up to {@link #MAX_RETRY_DELAY}. */
    private final java.util.Map<String, Integer> failures = new ConcurrentHashMap<>();
    private final ScheduledExecutorService thread;
    private final Consumer<String> work;
    private final Duration retryDelay;
    private volatile boolean closed;

    WorkQueue(String name, Consumer<String> work, Duration retryDelay) {
        this.work = work;
        this.retryDelay = retryDelay;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    void add(String key) {
        if (pending.add(key)) {
            submit(key, 0);
        }
    }

    private void submit(String key, long delayMillis) {
        try {
            thread.schedule(() -> run(key), delayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            pending.remove(key);
        }
    }

    private void run(String key) {
        // Removed before the work starts: an event during the work queues the key again.
        pending.remove(key);
        try {
            work.accept(key);
            failures.remove(key);
        } catch (RuntimeException e) {
            if (closed) {
                return; // interrupted by close(): the next leader redoes the work
            }
            int failed = failures.merge(key, 1, Integer::sum);
            long delay = Math.min(MAX_RETRY_DELAY.toMillis(), retryDelay.toMillis() << Math.min(failed - 1, 16));
            LOG.warn("operator: {} failed ({} in a row), retrying in {} ms: {}{}", key, failed, delay, e.getMessage(),
                    e.getCause() == null ? "" : " (" + e.getCause() + ")");
            if (pending.add(key)) {
                submit(key, delay);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
