package io.astaire.k8s.inject;

import io.astaire.model.ChainSpec;
import io.astaire.model.IpPrefix;
import io.astaire.model.RuleSpec;
import io.astaire.model.Topology;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The prefixes a sidecar routes into its TUN device, read from the chain's classifier rules: a
 * client's ingress takes the rules' destinations (what the chain steers), a server's egress
 * their sources (where the replies of a symmetric chain go back through it).
 */
public final class ChainRoutes {
    private ChainRoutes() {}

    public static List<IpPrefix> of(Topology topology, String chainName, SidecarRole role) {
        ChainSpec chain = topology.chain(chainName);
        if (chain == null) {
            throw new InjectException("--chain " + chainName + ": the chain spec has no such chain (it has: "
                    + String.join(", ", topology.chains().stream().map(ChainSpec::name).toList()) + ")");
        }
        if (role == SidecarRole.SERVER && !chain.isSymmetric()) {
            return List.of(); // replies of a one-way chain go back on the pod network, not through the egress
        }
        Set<IpPrefix> prefixes = new LinkedHashSet<>();
        for (RuleSpec r : topology.rules()) {
            if (r.chain().equals(chainName)) {
                IpPrefix p = role == SidecarRole.CLIENT ? r.destination() : r.source();
                if (p != null) {
                    prefixes.add(p);
                }
            }
        }
        if (prefixes.isEmpty()) {
            throw new InjectException("--chain " + chainName + ": no rule of the chain names a "
                    + (role == SidecarRole.CLIENT ? "destination prefix (what the client's ingress should steer)"
                            : "source prefix (the clients the server's replies go back to)")
                    + "; give the prefixes with --route");
        }
        return List.copyOf(prefixes);
    }
}
