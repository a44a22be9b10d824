package io.astaire.k8s.inject;

import java.util.Locale;

/** Which edge a workload gets: clients get the ingress, servers the egress. */
public enum SidecarRole {
    CLIENT("ingress"),
    SERVER("egress");

    private final String edge;

    SidecarRole(String edge) {
        this.edge = edge;
    }

    /** The edge's command and role label: {@code ingress} or {@code egress}. */
    public String edge() {
        return edge;
    }

    /** The sidecar container's name. */
    public String containerName() {
        return "astaire-" + edge;
    }

    public static SidecarRole parse(String text) {
        return switch (text == null ? "" : text.toLowerCase(Locale.ROOT)) {
            case "client", "ingress" -> CLIENT;
            case "server", "egress" -> SERVER;
            default -> throw new IllegalArgumentException("--role must be client (the ingress) or server (the egress), was '" + text + "'");
        };
    }
}
