package io.astaire.dataplane.edge;

import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an edge worker does when its loop throws: an exception (a bug, an errno nobody expected)
 * is counted as {@code internal_errors}, logged (the first few with their stack, then one line
 * every 10 000) and the loop goes on after a pause, so a failure that repeats cannot spin a core;
 * an {@link Error} (out of memory, a broken JVM) stops the worker and is kept, so the edge stops
 * answering ready and says which worker died and why.
 */
final class WorkerGuard {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerGuard.class);
    private static final long PAUSE_NANOS = 10_000_000L;

    private final String worker;
    private final EdgeCounters counters;
    private long failures;
    private volatile Throwable fatal;

    WorkerGuard(String worker, EdgeCounters counters) {
        this.worker = worker;
        this.counters = counters;
    }

    /** Deals with what one turn of the worker's loop threw; true when the loop may go on. */
    boolean survive(Throwable t) {
        if (t instanceof Error e) {
            fatal = e;
            LOG.error("{} stopped: {}; the edge is no longer ready", worker, e.toString(), e);
            return false;
        }
        counters.add(EdgeCounters.INTERNAL_ERRORS, 1);
        long n = ++failures;
        if (n <= 3) {
            LOG.error("{}: unexpected failure (counted as internal_errors), going on", worker, t);
        } else if (n % 10_000 == 0) {
            LOG.error("{}: {} unexpected failures so far; last: {}", worker, n, t.toString());
        }
        LockSupport.parkNanos(PAUSE_NANOS);
        return true;
    }

    /** The error that stopped the worker, or null while it runs. */
    Throwable fatal() {
        return fatal;
    }

    String worker() {
        return worker;
    }
}
