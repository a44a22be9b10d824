package io.astaire.k8s.inject;

import io.astaire.k8s.Names;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.IpPrefix;
import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * What {@code astaire k8s inject} adds.
 *
 * @param chain the chain the workload joins (recorded in the pod's annotation)
 * @param role client (ingress sidecar) or server (egress sidecar)
 * @param routes the prefixes the sidecar routes into its TUN device ({@code --route} of the edge)
 * @param instance the chain instance, put on the pod as the {@value WorkloadInjector#MEMBER_LABEL} label
 * @param image the Astaire image
 * @param tun the TUN device's name inside the pod
 * @param port the sidecar's UDP port (where paths ending at it arrive)
 * @param metricsPort where it serves /metrics, /healthz, /readyz
 * @param configMap the ConfigMap with the in-cluster chain spec ({@code k8s render}'s); ignored with a controller
 * @param controller the controller to read the topology from instead (null: the ConfigMap)
 */
public record InjectOptions(String chain, SidecarRole role, List<IpPrefix> routes, String instance, String image, String tun,
                            int port, int metricsPort, String configMap, URI controller) {

    public static final int DEFAULT_PORT = 4790;

    public InjectOptions {
        Objects.requireNonNull(chain, "chain");
        Objects.requireNonNull(role, "role");
        routes = List.copyOf(routes);
        instance = instance == null ? RenderOptions.DEFAULT_INSTANCE : instance;
        image = image == null ? RenderOptions.DEFAULT_IMAGE : image;
        tun = tun == null ? RenderOptions.DEFAULT_TUN : tun;
        configMap = configMap == null ? Names.CHAIN_CONFIG : configMap;
        if (tun.isEmpty() || tun.length() > 15) {
            throw new IllegalArgumentException("--tun '" + tun + "' must be 1-15 characters");
        }
        for (int p : new int[] {port, metricsPort}) {
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("port " + p + " is outside 1-65535");
            }
        }
        if (port == metricsPort) {
            throw new IllegalArgumentException("--port and --metrics-port are both " + port);
        }
        for (IpPrefix r : routes) {
            if (r.length() == 0) {
                throw new IllegalArgumentException("--route " + r + ": a default route would steer the sidecar's own UDP into its TUN");
            }
        }
    }

    /** The defaults for {@code chain} and {@code role}: the rendered ConfigMap, port 4790, metrics on 9090. */
    public static InjectOptions defaults(String chain, SidecarRole role, List<IpPrefix> routes) {
        return new InjectOptions(chain, role, routes, null, null, null, DEFAULT_PORT, Names.METRICS_PORT, null, null);
    }
}
