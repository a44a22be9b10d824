package io.astaire.k8s;

import java.util.Locale;

/**
 * Where a chain's ingress and egress run: as two gateway Deployments that {@code k8s render}
 * creates, or as sidecars that {@code k8s inject} puts into the workloads' pods. The edges'
 * Services and the functions' NetworkPolicy follow: they select the gateway pods or the sidecar
 * pods ({@value Names#MEMBER_LABEL}, {@value Names#EDGE_LABEL}).
 */
public enum EdgeMode {
    GATEWAY,
    SIDECAR;

    /** The value of {@code --edges} and of the Helm chart's {@code edges}. */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static EdgeMode parse(String text) {
        for (EdgeMode m : values()) {
            if (m.value().equals(text)) {
                return m;
            }
        }
        throw new IllegalArgumentException("--edges: '" + text + "' is neither gateway (edge Deployments rendered here) "
                + "nor sidecar (edges added to the workloads' pods by 'astaire k8s inject')");
    }
}
