package io.astaire.dataplane.oam;

/**
 * What an operator asks to trace through a chain (the body of {@code POST
 * /v1/chains/{chain}/trace}; {@code astaire trace} sends it): the destination, and optionally the
 * source, protocol, ports and how long to wait for the nodes' reports. Defaults in {@link TracePlan}.
 */
public record TraceRequest(String destination, String source, String protocol, Integer sourcePort, Integer destinationPort,
                           Integer timeoutMillis) {

    public static final int DEFAULT_TIMEOUT_MILLIS = 2000;
    public static final int MAX_TIMEOUT_MILLIS = 10_000;

    public TracePlan plan(io.astaire.model.Topology topology, String chain) {
        return TracePlan.of(topology, chain, destination, source, protocol, sourcePort, destinationPort);
    }

    /** Refuses what is wrong with the flow without a topology (see {@link TracePlan#check}). */
    public void checkFlow() {
        TracePlan.check(destination, source, protocol, sourcePort, destinationPort);
    }

    /** The time to wait, checked: 100 ms to {@value #MAX_TIMEOUT_MILLIS} ms, default {@value #DEFAULT_TIMEOUT_MILLIS}. */
    public java.time.Duration timeout() {
        int ms = timeoutMillis == null ? DEFAULT_TIMEOUT_MILLIS : timeoutMillis;
        if (ms < 100 || ms > MAX_TIMEOUT_MILLIS) {
            throw new TracePlan.Refused("timeoutMillis", "must be within 100-" + MAX_TIMEOUT_MILLIS + ", was " + ms);
        }
        return java.time.Duration.ofMillis(ms);
    }
}
