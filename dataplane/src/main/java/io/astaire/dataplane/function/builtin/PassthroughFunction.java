package io.astaire.dataplane.function.builtin;

import io.astaire.function.PacketContext;
import io.astaire.function.ServiceFunction;
import io.astaire.function.Verdict;

/**
 * Forwards every packet unchanged: a chain hop that only proves the path (and the node's own
 * counters) work. Config: none.
 */
public final class PassthroughFunction implements ServiceFunction {
    public static final String KIND = "passthrough";

    @Override
    public Verdict process(PacketContext packet) {
        return Verdict.FORWARD;
    }
}
