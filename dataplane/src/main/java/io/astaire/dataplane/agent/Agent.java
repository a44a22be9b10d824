package io.astaire.dataplane.agent;

/**
 * One packet-path loop body, in the spirit of Agrona's {@code Agent}: {@link #doWork()} does one
 * bounded turn (a batch) and says how much it did; an {@link AgentRunner} owns the thread, the
 * loop, the idle strategy and what happens when a turn throws. An agent never loops, sleeps,
 * catches {@link Throwable} or logs per packet itself.
 */
public interface Agent {

    /** What {@link #doWork()} returns when the agent is finished (its socket was closed): the runner stops. */
    int DONE = -1;

    /**
     * One turn of the loop.
     *
     * @return the work done (packets, reads; 0 when there was nothing to do, and the runner then
     *     idles), or {@link #DONE}
     */
    int doWork();

    /** The agent's name, for its thread, logs and {@code /readyz} (e.g. {@code astaire-sf-worker-0}). */
    String roleName();
}
