package io.astaire.dataplane.resolve;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;

/**
 * The name lookup a node uses when no {@code --dns-server} is given: the system's resolvers
 * ({@code /etc/resolv.conf}), preceded by the node-local DNS cache when {@code DNS_IP} names one
 * (the rendered manifests set it to the node's IP from the downward API). Nothing is written to
 * resolv.conf, so no part of the pod needs root for it.
 */
public final class NodeNameLookups {

    /** The environment variable naming the node-local DNS cache. */
    public static final String DNS_IP_ENV = "DNS_IP";
    /** How long the cache gets before the resolvers are asked: it is on the same node. */
    static final Duration CACHE_TIMEOUT = Duration.ofMillis(250);
    /** How long a cache that failed is skipped before it is asked again. */
    static final Duration CACHE_BENCH = Duration.ofSeconds(30);

    private NodeNameLookups() {}

    /**
     * @param dnsServer an explicit server ({@code --dns-server}), which wins; or null
     * @param env the process environment (for {@code DNS_IP})
     * @throws IllegalArgumentException when {@code DNS_IP} is set but is not an IP address
     */
    public static NameLookup create(InetSocketAddress dnsServer, DnsNameLookup.Family family, Duration queryTimeout,
                                    Map<String, String> env) {
        if (dnsServer != null) {
            return new DnsNameLookup(dnsServer, family, queryTimeout);
        }
        String cache = env.get(DNS_IP_ENV);
        if (cache == null || cache.isBlank()) {
            return new DnsNameLookup(null, family, queryTimeout);
        }
        InetSocketAddress cacheAddress = new InetSocketAddress(literal(cache.strip()), 53);
        return new FallbackNameLookup(new DnsNameLookup(cacheAddress, family, CACHE_TIMEOUT), "DNS_IP " + cache.strip(),
                new DnsNameLookup(null, family, queryTimeout), CACHE_BENCH);
    }

    private static InetAddress literal(String ip) {
        if (!ip.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
            throw new IllegalArgumentException(DNS_IP_ENV + ": '" + ip + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(ip); // a literal: no lookup happens
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(DNS_IP_ENV + ": '" + ip + "' is not an IP address", e);
        }
    }
}
