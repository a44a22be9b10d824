package io.astaire.controller;

import java.util.concurrent.CompletableFuture;

/**
 * Wakes long-polling watchers when the registry's version moves. Each waiter holds the future of
 * the next version; publishing completes it and installs a fresh one, so no thread is parked per
 * watcher and no watcher misses a change that happened between its read and its wait.
 */
public final class VersionWatch {
    private CompletableFuture<Long> next = new CompletableFuture<>();

    /** Completes with the next published version. Take it before re-checking the current version. */
    public synchronized CompletableFuture<Long> next() {
        return next;
    }

    public void publish(long version) {
        CompletableFuture<Long> fired;
        synchronized (this) {
            fired = next;
            next = new CompletableFuture<>();
        }
        fired.complete(version);
    }
}
