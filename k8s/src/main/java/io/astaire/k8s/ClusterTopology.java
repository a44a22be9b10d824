package io.astaire.k8s;

import io.astaire.model.EndpointSpec;
import io.astaire.model.FunctionSpec;
import io.astaire.model.HopAddress;
import io.astaire.model.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The chain as it runs inside a cluster: every hop is addressed by the DNS name of its Service,
 * {@code <name>.<namespace>.svc.cluster.local}, keeping the port the chain spec gave it. The
 * functions' Services are headless, so the name resolves to every ready replica and the
 * forwarder balances flows across them itself (a symmetric hash keeps both directions of a flow
 * on one replica, which kube-proxy's per-packet UDP balancing would not).
 */
public final class ClusterTopology {

    /** The Kubernetes cluster domain this renderer assumes (the kubeadm default). */
    public static final String CLUSTER_DOMAIN = "cluster.local";

    /** Names the renderer gives its own objects; a function may not take them. */
    static final Set<String> RESERVED = Set.of(Names.INGRESS, Names.EGRESS, Names.CONTROLLER, Names.DNSMASQ);

    private ClusterTopology() {}

    /** The fully qualified name of Service {@code service} in {@code namespace}. */
    public static String serviceHost(String service, String namespace) {
        return service + "." + namespace + ".svc." + CLUSTER_DOMAIN;
    }

    /**
     * Rewrites every address of {@code topology} to the Service that fronts it in
     * {@code namespace}: functions to their own Service, the ingress and egress to
     * {@value Names#INGRESS} and {@value Names#EGRESS}. Ports are kept.
     *
     * @throws IllegalArgumentException when a function is named like one of the renderer's own objects
     */
    public static Topology rewrite(Topology topology, String namespace) {
        List<FunctionSpec> functions = new ArrayList<>(topology.functions().size());
        for (int i = 0; i < topology.functions().size(); i++) {
            FunctionSpec f = topology.functions().get(i);
            if (RESERVED.contains(f.name())) {
                throw new IllegalArgumentException("functions[" + i + "].name: '" + f.name()
                        + "' is reserved for Astaire's own Kubernetes objects; rename the function");
            }
            HopAddress at = new HopAddress(serviceHost(f.name(), namespace), f.address().port());
            functions.add(new FunctionSpec(f.name(), f.kind(), f.config(), at, f.replicas()));
        }
        return new Topology(functions, topology.chains(), topology.rules(),
                endpoint(topology.ingress(), Names.INGRESS, namespace),
                endpoint(topology.egress(), Names.EGRESS, namespace),
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
