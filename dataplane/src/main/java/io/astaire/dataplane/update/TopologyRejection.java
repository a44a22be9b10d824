package io.astaire.dataplane.update;

import io.astaire.model.NodeReport;

/**
 * A topology version a role refused, and why; the role goes on with the version it ran before.
 * Carried by the node status report ({@code rejected}) so that {@code describe} can say why a
 * node is behind.
 *
 * @param version the refused version
 * @param reason what was wrong, naming the field when it is one ({@code functions.b.config.rate: ...})
 * @param kind the {@code reason} label of {@code astaire_topology_rejected_total}
 * @param running the version the role still runs
 */
public record TopologyRejection(long version, String reason, RejectionKind kind, long running) {

    /** What the node status report carries of a rejection ({@code r} may be null: nothing refused). */
    public static NodeReport.Rejected forReport(TopologyRejection r) {
        return r == null ? null : new NodeReport.Rejected(r.version(), r.reason());
    }
}
