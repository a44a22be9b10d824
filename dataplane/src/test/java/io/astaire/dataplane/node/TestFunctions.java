package io.astaire.dataplane.node;

import io.astaire.function.PacketContext;
import io.astaire.function.ServiceFunction;
import io.astaire.function.Verdict;
import io.astaire.model.FunctionSpec;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Small real functions for node tests: {@code stamp} adds one to MD1 context word 0 (so a sink can
 * count how many functions a packet went through), {@code drop-port-9} drops UDP to port 9,
 * {@code explode} throws on UDP to port 13 (an internal error the node must survive),
 * {@code fatal} throws an {@link OutOfMemoryError} on UDP to port 14 (an injected fault that must
 * end the worker loudly, not be counted as a drop).
 */
final class TestFunctions {

    private TestFunctions() {}

    static ServiceFunction create(FunctionSpec spec, MeterRegistry meters) {
        return switch (spec.kind()) {
            case "stamp" -> packet -> {
                packet.nsh().md1Context(0, packet.nsh().md1Context(0) + 1);
                return Verdict.FORWARD;
            };
            case "drop-port-9" -> packet -> packet.flow().destinationPort() == 9 ? Verdict.DROP : Verdict.FORWARD;
            case "explode" -> new ServiceFunction() {
                @Override
                public Verdict process(PacketContext packet) {
                    if (packet.flow().destinationPort() == 13) {
                        throw new IllegalStateException("boom");
                    }
                    return Verdict.FORWARD;
                }
            };
            case "fatal" -> packet -> {
                if (packet.flow().destinationPort() == 14) {
                    throw new OutOfMemoryError("injected by the test");
                }
                return Verdict.FORWARD;
            };
            default -> throw new IllegalArgumentException("functions." + spec.name() + ".kind: unknown test kind " + spec.kind());
        };
    }
}
