package com.example.ttlguard;

import io.astaire.function.FunctionConfig;
import io.astaire.function.PacketContext;
import io.astaire.function.ServiceFunction;
import io.astaire.function.Verdict;
import io.micrometer.core.instrument.Counter;

/**
 * Drops packets whose inner IPv4 TTL (or IPv6 hop limit) is below {@code minTtl}: traffic that
 * is about to expire anyway, or a routing loop on the client's side.
 *
 * <pre>
 * - name: guard
 *   kind: ttl-guard
 *   config: {minTtl: 5}
 * </pre>
 */
public final class TtlGuardFunction implements ServiceFunction {

    /** The function's {@code config:} block; Jackson binds it, unknown keys are errors. */
    public record Config(Integer minTtl) {}

    private int minTtl;
    private Counter dropped;

    @Override
    public void configure(FunctionConfig config) {
        Config c = config.bind(Config.class); // errors name the field: functions.guard.config.minTtl
        minTtl = c.minTtl() == null ? 2 : c.minTtl();
        if (minTtl < 1 || minTtl > 255) {
            throw config.invalid("minTtl", minTtl + " is outside 1-255");
        }
        dropped = Counter.builder("ttlguard.dropped").tags(config.tags())
                .description("Packets dropped for a TTL below minTtl").register(config.meters());
    }

    // Called by every worker thread at once: no locks, no allocation, no I/O.
    @Override
    public Verdict process(PacketContext packet) {
        if (packet.inner().ttl() < minTtl) {
            dropped.increment();
            return Verdict.DROP;
        }
        return Verdict.FORWARD;
    }
}
