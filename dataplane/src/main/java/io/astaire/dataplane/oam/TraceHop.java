package io.astaire.dataplane.oam;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What one node saw of a trace probe: where it is, the service index and TTL the probe came in and
 * went out with, what became of it and, for a drop, why. Sent by the node as a {@link TraceReport};
 * {@code elapsedMicros} is filled in by the collector (from {@code atMicros}, the node's wall clock
 * when the probe arrived).
 *
 * @param direction {@code forward} or {@code reverse}
 * @param node the node's name, when it was given one (null otherwise)
 * @param role {@code ingress}, {@code sf} or {@code egress}
 * @param functions the functions the node ran on the probe, in order (empty at the edges)
 * @param address the node's own NSH address: the replica that handled the probe
 * @param siIn null where the probe did not arrive on a path (an edge classifying it)
 * @param verdict {@code classified}, {@code forwarded}, {@code dropped} or {@code arrived}
 * @param reason the drop reason (a metrics label: {@code function_verdict}, {@code no_match}, ...)
 * @param droppedBy the function whose verdict dropped the probe
 * @param detail what the deciding function or classifier said ({@code rule no-telnet})
 * @param next the replica chosen for the next hop (or the first hop of the reverse leg)
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record TraceHop(String direction, String node, String role, List<String> functions, String address,
                       Integer spi, Integer siIn, Integer siOut, Integer ttlIn, Integer ttlOut,
                       String verdict, String reason, String droppedBy, String detail, String next,
                       long atMicros, Long elapsedMicros) {

    public static final String FORWARD = "forward";
    public static final String REVERSE = "reverse";
    public static final String CLASSIFIED = "classified";
    public static final String FORWARDED = "forwarded";
    public static final String DROPPED = "dropped";
    public static final String ARRIVED = "arrived";

    public TraceHop {
        functions = functions == null ? List.of() : List.copyOf(functions);
    }

    /** This hop with its time since the trace's first hop. */
    TraceHop withElapsed(long micros) {
        return new TraceHop(direction, node, role, functions, address, spi, siIn, siOut, ttlIn, ttlOut, verdict, reason,
                droppedBy, detail, next, atMicros, micros);
    }

    /** How an operator names this hop: its functions for a function node, its role for an edge. */
    public String label() {
        return functions.isEmpty() ? role : String.join("+", functions);
    }

    boolean reverse() {
        return REVERSE.equals(direction);
    }
}
