package io.astaire.systest.live;

/**
 * One change LiveUpdateTest applies under traffic: what kind it is, the YAML it applies to the
 * controller, and how the test sees that the moving flow took its new path: the DSCP the flow
 * arrives with from then on ({@code dscp}), or, for a change the DSCP cannot show, the lab node
 * whose counters must start moving ({@code carrier}, "sf5" for a function moved there), or
 * nothing at all (a replica count: the paths stay as they are, only the version moves).
 */
public record LiveChange(String kind, String description, String yaml, Integer dscp, String carrier) {

    public static LiveChange visible(String kind, String description, int dscp, String yaml) {
        return new LiveChange(kind, description, yaml, dscp, null);
    }

    public static LiveChange carriedBy(String kind, String description, String carrier, String yaml) {
        return new LiveChange(kind, description, yaml, null, carrier);
    }

    public static LiveChange invisible(String kind, String description, String yaml) {
        return new LiveChange(kind, description, yaml, null, null);
    }
}
