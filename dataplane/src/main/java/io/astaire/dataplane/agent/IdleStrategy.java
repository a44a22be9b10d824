package io.astaire.dataplane.agent;

/**
 * What a runner does between turns, given the work the last one did. A function node's worker
 * blocks inside its receive (with a timeout) and needs {@link #NONE}; an edge's TUN side polls the
 * device.
 */
@FunctionalInterface
public interface IdleStrategy {

    /** For agents that block in their own {@code doWork} (a receive with a timeout). */
    IdleStrategy NONE = workCount -> { };

    void idle(int workCount);
}
