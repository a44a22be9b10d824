package io.astaire.dataplane.update;

import java.util.Locale;

/** Why a topology update was refused: the {@code reason} label of {@code astaire_topology_rejected_total}. */
public enum RejectionKind {
    /** A function's kind is not known to this node (no provider on its class path). */
    UNKNOWN_KIND,
    /** A function's config was refused by the function (configure or start threw). */
    BAD_CONFIG,
    /** The topology cannot be turned into forwarding tables here (routes, hops, rules). */
    BAD_TOPOLOGY,
    /** The rule set's classifier would exceed the memory bound (--max-classifier-memory). */
    CLASSIFIER_TOO_LARGE,
    /** Something else threw while building the new version: a bug. */
    INTERNAL_ERROR;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * What creating a function instance threw: an unknown kind names the {@code functions.<name>.kind}
     * field; anything else the function's configure or start refused is its config.
     */
    public static RejectionKind ofFunction(RuntimeException e) {
        String m = e.getMessage();
        return m != null && m.startsWith("functions.") && m.contains(".kind:") ? UNKNOWN_KIND : BAD_CONFIG;
    }
}
