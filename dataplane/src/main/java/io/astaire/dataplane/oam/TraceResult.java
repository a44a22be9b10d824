package io.astaire.dataplane.oam;

import java.util.List;

/**
 * What a trace found: every hop that reported, in path order, and the outcome.
 *
 * @param outcome {@code arrived} (at the egress, and back at the ingress for a symmetric chain),
 *     {@code dropped} (a hop said so), {@code no_match} (the classifier put it on no chain) or
 *     {@code lost} (a hop forwarded it and the next one never reported)
 * @param message one line for an operator: where it ended and why
 */
public record TraceResult(String trace, String chain, TraceFlow flow, String outcome, String message, List<TraceHop> hops) {

    public static final String ARRIVED = "arrived";
    public static final String DROPPED = "dropped";
    public static final String NO_MATCH = "no_match";
    public static final String LOST = "lost";

    public TraceResult {
        hops = List.copyOf(hops);
    }

    public boolean arrived() {
        return ARRIVED.equals(outcome);
    }
}
