package io.astaire.function;

/**
 * A network function applied to the inner packet of every NSH packet a node receives.
 *
 * <p>Lifecycle: the node creates one instance per function of the topology (through a
 * {@link ServiceFunctionProvider}), calls {@link #configure} once, {@link #start} once, then
 * {@link #process} for every packet until it calls {@link #stop} at shutdown.
 *
 * <p>Threading: {@code process} is called concurrently by every worker thread of the node (one
 * per core), each with its own {@link PacketContext}. Implementations must be thread-safe without
 * taking locks on the packet path: keep state in atomics, {@link java.util.concurrent.atomic.LongAdder}s
 * or lock-free maps, and never block (no I/O, DNS, logging). Allocate at configure/start time, or
 * at most once per new flow, never per packet.
 */
public interface ServiceFunction {

    /**
     * Reads the function's configuration. Called once, before {@link #start}.
     *
     * @throws FunctionConfigException naming the field and the problem when the config is unusable
     */
    default void configure(FunctionConfig config) {}

    /** Starts background work (threads, files). Called once, before the first packet. */
    default void start() {}

    /**
     * Applies the function to one packet. The packet may be read and rewritten in place through
     * {@code packet}; the context and its views are only valid during this call.
     */
    Verdict process(PacketContext packet);

    /** Stops background work and releases resources. No packet is processed after it starts. */
    default void stop() {}
}
