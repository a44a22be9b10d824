package io.astaire.dataplane.resolve;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.HostsFileEntriesResolver;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * DNS through Netty's asynchronous resolver: reads {@code /etc/resolv.conf} (or a given name
 * server) and {@code /etc/hosts}, returns each answer's records with their TTL. Netty's own
 * caches are off: {@link HopResolver} caches for the TTL itself and refreshes in the background.
 */
public final class DnsNameLookup implements NameLookup {

    static {
        NettyMachineId.ensureSet(); // before Netty's first channel: no hardware-address WARN in a namespace
    }

    /** Which address records to ask for. */
    public enum Family { IPV4, IPV6, BOTH }

    private final EventLoopGroup group;
    private final DnsNameResolver resolver;
    private final Family family;

    /**
     * @param nameServer a DNS server to ask, or null for the system's ({@code /etc/resolv.conf})
     */
    public DnsNameLookup(InetSocketAddress nameServer, Family family, Duration queryTimeout) {
        this.family = family;
        this.group = new MultiThreadIoEventLoopGroup(1, r -> {
            Thread t = new Thread(r, "astaire-dns");
            t.setDaemon(true);
            return t;
        }, NioIoHandler.newFactory());
        DnsServerAddressStreamProvider servers = nameServer == null
                ? DnsServerAddressStreamProviders.platformDefault()
                : new SingletonDnsServerAddressStreamProvider(nameServer);
        this.resolver = new DnsNameResolverBuilder(group.next())
                .datagramChannelType(NioDatagramChannel.class)
                .nameServerProvider(servers)
                .resolveCache(NoopDnsCache.INSTANCE)
                .cnameCache(NoopDnsCnameCache.INSTANCE)
                .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
                .hostsFileEntriesResolver(HostsFileEntriesResolver.DEFAULT)
                .resolvedAddressTypes(switch (family) {
                    case IPV4 -> ResolvedAddressTypes.IPV4_ONLY;
                    case IPV6 -> ResolvedAddressTypes.IPV6_ONLY;
                    case BOTH -> ResolvedAddressTypes.IPV4_PREFERRED;
                })
                .queryTimeoutMillis(queryTimeout.toMillis())
                .build();
    }

    @Override
    public CompletableFuture<Answer> lookup(String host) {
        return switch (family) {
            case IPV4 -> query(host, DnsRecordType.A);
            case IPV6 -> query(host, DnsRecordType.AAAA);
            case BOTH -> {
                CompletableFuture<Answer> a = query(host, DnsRecordType.A);
                CompletableFuture<Answer> aaaa = query(host, DnsRecordType.AAAA);
                yield a.handle((va, ea) -> aaaa.handle((v6, e6) -> {
                    if (ea != null && e6 != null) {
                        throw new CompletionFailure(ea);
                    }
                    List<InetAddress> all = new ArrayList<>();
                    Duration ttl = null;
                    for (Answer x : new Answer[] {ea == null ? va : null, e6 == null ? v6 : null}) {
                        if (x != null) {
                            all.addAll(x.addresses());
                            ttl = ttl == null || x.ttl().compareTo(ttl) < 0 ? x.ttl() : ttl;
                        }
                    }
                    return new Answer(all, ttl);
                })).thenCompose(f -> f);
            }
        };
    }

    private CompletableFuture<Answer> query(String host, DnsRecordType type) {
        CompletableFuture<Answer> result = new CompletableFuture<>();
        Future<List<DnsRecord>> f = resolver.resolveAll(new DefaultDnsQuestion(host, type));
        f.addListener(done -> {
            if (!done.isSuccess()) {
                result.completeExceptionally(done.cause());
                return;
            }
            @SuppressWarnings("unchecked")
            List<DnsRecord> records = (List<DnsRecord>) done.getNow();
            try {
                List<InetAddress> addresses = new ArrayList<>();
                long ttl = Long.MAX_VALUE;
                for (DnsRecord r : records) {
                    if (r.type() != type || !(r instanceof DnsRawRecord raw)) {
                        continue;
                    }
                    ByteBuf content = raw.content();
                    byte[] bytes = new byte[content.readableBytes()];
                    content.getBytes(content.readerIndex(), bytes);
                    if (bytes.length == 4 || bytes.length == 16) {
                        addresses.add(InetAddress.getByAddress(host, bytes));
                        ttl = Math.min(ttl, r.timeToLive());
                    }
                }
                result.complete(new Answer(addresses, Duration.ofSeconds(ttl == Long.MAX_VALUE ? 0 : ttl)));
            } catch (UnknownHostException e) {
                result.completeExceptionally(e);
            } finally {
                for (DnsRecord r : records) {
                    ReferenceCountUtil.release(r);
                }
            }
        });
        return result;
    }

    /** Carries the first cause when both families failed. */
    private static final class CompletionFailure extends RuntimeException {
        CompletionFailure(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    @Override
    public void close() {
        resolver.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
