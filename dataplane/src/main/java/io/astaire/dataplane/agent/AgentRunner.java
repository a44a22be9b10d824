package io.astaire.dataplane.agent;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link Agent} on its own platform thread, in the spirit of Agrona's
 * {@code AgentRunner}: the loop, the idle strategy, and what a failing turn costs.
 *
 * <ul>
 *   <li>An exception (a bug, an errno nobody expected) is counted ({@code internal_errors}),
 *       logged rate-limited (the first {@value #LOGGED_WITH_STACK} with their stack, then one line
 *       every {@value #LOG_EVERY}) and followed by a pause, so a failure that repeats every turn
 *       can neither spin a core nor flood the log.
 *   <li>An {@link Error} (out of memory, a broken JVM) ends this agent: it is logged once, kept
 *       as {@link #fatal()}, and the role owning the runner reports itself not ready naming it.
 * </ul>
 *
 * <p>{@link #close()} waits for the thread for real, even when the closing thread is interrupted
 * (the interrupt is re-asserted afterwards): what the agent uses (native buffers, descriptors,
 * function instances) may only be freed once it has left its loop.
 */
public final class AgentRunner implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentRunner.class);
    static final int LOGGED_WITH_STACK = 3;
    static final int LOG_EVERY = 10_000;
    /** Pause after a failed turn. */
    public static final long DEFAULT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long CLOSE_WARN_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Agent agent;
    private final IdleStrategy idle;
    private final LongConsumer internalErrors;
    private final long pauseNanos;
    private volatile boolean running = true;
    private volatile Throwable fatal;
    private long failures;
    private Thread thread;

    /**
     * @param internalErrors counts a turn that threw (called on the agent's thread)
     */
    public AgentRunner(Agent agent, IdleStrategy idle, LongConsumer internalErrors) {
        this(agent, idle, internalErrors, DEFAULT_PAUSE_NANOS);
    }

    public AgentRunner(Agent agent, IdleStrategy idle, LongConsumer internalErrors, long pauseNanos) {
        this.agent = Objects.requireNonNull(agent, "agent");
        this.idle = Objects.requireNonNull(idle, "idle");
        this.internalErrors = Objects.requireNonNull(internalErrors, "internalErrors");
        this.pauseNanos = pauseNanos;
    }

    /** Starts the agent on a new platform thread named after it. */
    public synchronized AgentRunner start(boolean daemon) {
        if (thread != null) {
            throw new IllegalStateException(agent.roleName() + " already started");
        }
        thread = Thread.ofPlatform().name(agent.roleName()).daemon(daemon).unstarted(this);
        thread.start();
        return this;
    }

    @Override
    public void run() {
        while (running && turn()) {
            // one turn per batch
        }
    }

    /** One turn: work, then idle; false when the loop must end (the agent is done, or an Error). */
    public boolean turn() {
        try {
            int work = agent.doWork();
            if (work < 0) {
                return false;
            }
            idle.idle(work);
            return true;
        } catch (Error e) {
            fatal = e;
            LOG.error("{} stopped: {}; this role is no longer ready", agent.roleName(), e.toString(), e);
            return false;
        } catch (RuntimeException e) {
            if (!running) {
                return false; // closing: the socket went away under the receive
            }
            internalErrors.accept(1);
            long n = ++failures;
            if (n <= LOGGED_WITH_STACK) {
                LOG.error("{}: unexpected failure (counted as internal_errors), going on after a pause", agent.roleName(), e);
            } else if (n % LOG_EVERY == 0) {
                LOG.error("{}: {} unexpected failures so far; last: {}", agent.roleName(), n, e.toString());
            }
            LockSupport.parkNanos(pauseNanos);
            return true;
        }
    }

    /** Asks the loop to end after its current turn. */
    public void stop() {
        running = false;
    }

    /** The Error that ended the agent, or null while it runs (or ended normally). */
    public Throwable fatal() {
        return fatal;
    }

    public String roleName() {
        return agent.roleName();
    }

    public Agent agent() {
        return agent;
    }

    /** The thread (null before {@link #start}). */
    public synchronized Thread thread() {
        return thread;
    }

    /** Why this agent no longer runs, for {@code /readyz}; null while it runs. */
    public String deathNotice() {
        Throwable f = fatal;
        return f == null ? null : agent.roleName() + " stopped: " + f;
    }

    /**
     * Stops the loop and waits until the thread has left it, however long that takes and even if
     * this thread is interrupted (the interrupt is kept and re-asserted on return); a wait that
     * lasts is logged every few seconds, never cut short.
     */
    @Override
    public void close() {
        stop();
        awaitStopped();
    }

    /** Waits (uninterruptibly) until the thread has ended; see {@link #close()}. */
    public void awaitStopped() {
        Thread t = thread();
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        boolean interrupted = false;
        long waited = 0;
        while (t.isAlive()) {
            try {
                t.join(TimeUnit.NANOSECONDS.toMillis(CLOSE_WARN_NANOS));
            } catch (InterruptedException e) {
                interrupted = true;
                continue;
            }
            if (t.isAlive()) {
                waited += CLOSE_WARN_NANOS;
                LOG.warn("{} has not stopped after {} s; still waiting (its buffers cannot be freed before)",
                        agent.roleName(), TimeUnit.NANOSECONDS.toSeconds(waited));
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
