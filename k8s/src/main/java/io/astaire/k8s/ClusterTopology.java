package io.astaire.k8s;

import io.astaire.model.EndpointSpec;
import io.astaire.model.FunctionSpec;
import io.astaire.model.HopAddress;
import io.astaire.model.Topology;
import java.util.ArrayList;
import java.util.List;

/**
 * The chain as it runs inside a cluster: every hop is addressed by the DNS name of its Service,
 * {@code <instance>-<name>.<namespace>.svc.cluster.local}, keeping the port the chain spec gave it. The
 * functions' Services are headless, so the name resolves to every ready replica and the
 * forwarder balances flows across them itself (a symmetric hash keeps both directions of a flow
 * on one replica, which kube-proxy's per-packet UDP balancing would not).
 */
public final class ClusterTopology {

    /** The Kubernetes cluster domain this renderer assumes (the kubeadm default). */
    public static final String CLUSTER_DOMAIN = "cluster.local";

    private ClusterTopology() {}

    /** The fully qualified name of Service {@code service} in {@code namespace}. */
    public static String serviceHost(String service, String namespace) {
        return service + "." + namespace + ".svc." + CLUSTER_DOMAIN;
    }

    /** {@link #rewrite(Topology, String, String)} for the default instance, {@value RenderOptions#DEFAULT_INSTANCE}. */
    public static Topology rewrite(Topology topology, String namespace) {
        return rewrite(topology, namespace, RenderOptions.DEFAULT_INSTANCE);
    }

    /**
     * Rewrites every address of {@code topology} to the Service that fronts it in
     * {@code namespace} for chain instance {@code instance}: functions to
     * {@code <instance>-<function>}, the ingress and egress to {@code <instance>-ingress} and
     * {@code <instance>-egress}. Ports are kept; function names in chains are not changed.
     *
     * @throws IllegalArgumentException when a name breaks the API server's rules or is reserved ({@link ChainObjectNames#check})
     */
    public static Topology rewrite(Topology topology, String namespace, String instance) {
        ChainObjectNames names = new ChainObjectNames(instance);
        names.check(topology);
        List<FunctionSpec> functions = new ArrayList<>(topology.functions().size());
        for (FunctionSpec f : topology.functions()) {
            HopAddress at = new HopAddress(serviceHost(names.function(f.name()), namespace), f.address().port());
            functions.add(new FunctionSpec(f.name(), f.kind(), f.config(), at, f.replicas()));
        }
        return new Topology(functions, topology.chains(), topology.rules(),
                endpoint(topology.ingress(), names.ingress(), namespace),
                endpoint(topology.egress(), names.egress(), namespace),
                topology.defaultChain());
    }

    private static EndpointSpec endpoint(EndpointSpec spec, String service, String namespace) {
        if (spec == null || spec.address() == null) {
            return spec;
        }
        return new EndpointSpec(new HopAddress(serviceHost(service, namespace), spec.address().port()));
    }

    /** The UDP port an endpoint listens on: its address's, or the VXLAN-GPE port when it has none. */
    static int port(EndpointSpec spec) {
        return spec == null || spec.address() == null ? HopAddress.VXLAN_GPE_PORT : spec.address().port();
    }
}
