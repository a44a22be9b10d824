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
 * named it, worked one at a time on one thread, and retried after {@code retryDelay} when the
 * work throws (the API server refused, a conflict, a lost connection).
 */
final class WorkQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkQueue.class);

    private final Set<String> pending = ConcurrentHashMap.newKeySet();
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
        } catch (RuntimeException e) {
            if (closed) {
                return; // interrupted by close(): the next leader redoes the work
            }
            LOG.warn("operator: {} failed, retrying in {} ms: {}{}", key, retryDelay.toMillis(), e.getMessage(),
                    e.getCause() == null ? "" : " (" + e.getCause() + ")");
            if (pending.add(key)) {
                submit(key, retryDelay.toMillis());
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
