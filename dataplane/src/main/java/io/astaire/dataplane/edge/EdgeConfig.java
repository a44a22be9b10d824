package io.astaire.dataplane.edge;

import io.astaire.dataplane.classify.ClassifierLimit;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.dataplane.transport.TransportOptions.Offload;
import io.astaire.dataplane.tun.TunDevice;
import io.astaire.model.IpPrefix;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * How to run an edge.
 *
 * @param role ingress or egress
 * @param tunName the TUN device to create or attach to (at most 15 characters)
 * @param listen where paths ending here arrive; null: 0.0.0.0 and the port of this edge's address in the topology
 * @param underlayMtu the underlay's MTU; null: the MTU of the interface routing to the first hop
 * @param workers TUN queues and receiving sockets (one platform thread each way per worker)
 * @param tunAddresses addresses to give the TUN device (may be empty: routes alone steer traffic into it)
 * @param flowCacheSize flow-cache entries per worker
 * @param batchSize datagrams per system call
 * @param transport which UDP transport
 * @param offload AUTO: super-packets at the TUN device (virtio_net_hdr, TSO) and UDP GSO/GRO on the
 *     sockets where the kernel has them; OFF: one packet per system call (null: AUTO)
 * @param sourcePorts UDP source ports the sending side spreads flows over (RFC 7348 §5), one per flow
 * @param classifierLimit the most memory the classifier may take; a larger rule set is refused (null: 64 MiB)
 * @param routes prefixes the edge routes into its TUN device itself and keeps there ({@link OwnedRoutes}); empty: none
 */
public record EdgeConfig(EdgeRole role, String tunName, InetSocketAddress listen, Integer underlayMtu, int workers,
                         List<TunDevice.InterfaceAddress> tunAddresses, int flowCacheSize, int batchSize,
                         DatagramTransports.Kind transport, Offload offload, int sourcePorts, ClassifierLimit classifierLimit,
                         List<IpPrefix> routes) {

    /** The default classifier limit and no owned routes. */
    public EdgeConfig(EdgeRole role, String tunName, InetSocketAddress listen, Integer underlayMtu, int workers,
                      List<TunDevice.InterfaceAddress> tunAddresses, int flowCacheSize, int batchSize,
                      DatagramTransports.Kind transport, Offload offload, int sourcePorts) {
        this(role, tunName, listen, underlayMtu, workers, tunAddresses, flowCacheSize, batchSize, transport, offload, sourcePorts, null, List.of());
    }

    /** Default offloads (AUTO) and source ports ({@link TransportOptions#DEFAULT_SOURCE_PORTS}). */
    public EdgeConfig(EdgeRole role, String tunName, InetSocketAddress listen, Integer underlayMtu, int workers,
                      List<TunDevice.InterfaceAddress> tunAddresses, int flowCacheSize, int batchSize,
                      DatagramTransports.Kind transport) {
        this(role, tunName, listen, underlayMtu, workers, tunAddresses, flowCacheSize, batchSize, transport, Offload.AUTO,
                TransportOptions.DEFAULT_SOURCE_PORTS, null, List.of());
    }

    public EdgeConfig {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(tunName, "tunName");
        tunAddresses = tunAddresses == null ? List.of() : List.copyOf(tunAddresses);
        transport = transport == null ? DatagramTransports.Kind.AUTO : transport;
        offload = offload == null ? Offload.AUTO : offload;
        classifierLimit = classifierLimit == null ? ClassifierLimit.DEFAULT : classifierLimit;
        routes = routes == null ? List.of() : List.copyOf(new java.util.LinkedHashSet<>(routes));
        for (IpPrefix r : routes) {
            if (r.length() == 0) {
                throw new IllegalArgumentException("--route " + r + ": a default route into the TUN device would steer the edge's own "
                        + "UDP to the next hop into it too; name the destination prefixes");
            }
        }
        if (workers < 1 || workers > 64) {
            throw new IllegalArgumentException("--workers must be within 1-64, was " + workers);
        }
        if (underlayMtu != null && (underlayMtu < 576 + 80 || underlayMtu > 65535)) {
            throw new IllegalArgumentException("--underlay-mtu must be within 656-65535, was " + underlayMtu);
        }
        if (flowCacheSize < 4 || flowCacheSize > (1 << 24)) {
            throw new IllegalArgumentException("--flow-cache must be within 4-16777216, was " + flowCacheSize);
        }
        if (batchSize < 1 || batchSize > 1024) {
            throw new IllegalArgumentException("--batch must be within 1-1024, was " + batchSize);
        }
        if (sourcePorts < 1 || sourcePorts > TransportOptions.MAX_SOURCE_PORTS) {
            throw new IllegalArgumentException("--source-ports must be within 1-" + TransportOptions.MAX_SOURCE_PORTS + ", was " + sourcePorts);
        }
    }

    /** One worker, MTU from the route, 64 Ki flow-cache entries, batches of 64 (a whole UDP GSO train), offloads when the kernel has them. */
    public static EdgeConfig defaults(EdgeRole role, String tunName) {
        return new EdgeConfig(role, tunName, null, null, 1, List.of(), 1 << 16, 64, DatagramTransports.Kind.AUTO, Offload.AUTO,
                TransportOptions.DEFAULT_SOURCE_PORTS, null, List.of());
    }

    public EdgeConfig withListen(InetSocketAddress address) {
        return new EdgeConfig(role, tunName, address, underlayMtu, workers, tunAddresses, flowCacheSize, batchSize, transport, offload, sourcePorts, classifierLimit, routes);
    }

    public EdgeConfig withUnderlayMtu(Integer mtu) {
        return new EdgeConfig(role, tunName, listen, mtu, workers, tunAddresses, flowCacheSize, batchSize, transport, offload, sourcePorts, classifierLimit, routes);
    }

    public EdgeConfig withWorkers(int n) {
        return new EdgeConfig(role, tunName, listen, underlayMtu, n, tunAddresses, flowCacheSize, batchSize, transport, offload, sourcePorts, classifierLimit, routes);
    }

    public EdgeConfig withTunAddresses(List<TunDevice.InterfaceAddress> addresses) {
        return new EdgeConfig(role, tunName, listen, underlayMtu, workers, addresses, flowCacheSize, batchSize, transport, offload, sourcePorts, classifierLimit, routes);
    }

    public EdgeConfig withSourcePorts(int n) {
        return new EdgeConfig(role, tunName, listen, underlayMtu, workers, tunAddresses, flowCacheSize, batchSize, transport, offload, n, classifierLimit, routes);
    }

    public EdgeConfig withClassifierLimit(ClassifierLimit limit) {
        return new EdgeConfig(role, tunName, listen, underlayMtu, workers, tunAddresses, flowCacheSize, batchSize, transport, offload, sourcePorts, limit, routes);
    }

    public EdgeConfig withRoutes(List<IpPrefix> prefixes) {
        return new EdgeConfig(role, tunName, listen, underlayMtu, workers, tunAddresses, flowCacheSize, batchSize, transport, offload, sourcePorts, classifierLimit, prefixes);
    }

    public EdgeConfig withOffload(Offload mode) {
        return new EdgeConfig(role, tunName, listen, underlayMtu, workers, tunAddresses, flowCacheSize, batchSize, transport, mode, sourcePorts, classifierLimit, routes);
    }
}
