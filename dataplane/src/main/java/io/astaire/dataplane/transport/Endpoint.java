package io.astaire.dataplane.transport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A resolved UDP destination, encoded once for every transport: the {@link InetSocketAddress}
 * that NIO wants and the {@code sockaddr_in} / {@code sockaddr_in6} bytes that {@code sendmmsg}
 * wants. Built off the packet path (by the resolver); the packet path only hands references
 * around, so sending to it allocates nothing.
 */
public final class Endpoint {

    static final int SOCKADDR_IN_LENGTH = 16;
    static final int SOCKADDR_IN6_LENGTH = 28;
    static final short AF_INET = 2;
    static final short AF_INET6 = 10;

    private final InetSocketAddress address;
    private final MemorySegment sockaddrIn;   // null for an IPv6 destination
    private final MemorySegment sockaddrIn6;  // IPv4 destinations as v4-mapped, for dual-stack sockets

    private Endpoint(InetSocketAddress address) {
        this.address = address;
        Arena arena = Arena.ofAuto();
        InetAddress ip = address.getAddress();
        byte[] raw = ip.getAddress();
        sockaddrIn6 = arena.allocate(SOCKADDR_IN6_LENGTH, 8);
        sockaddrIn6.set(ValueLayout.JAVA_SHORT, 0, AF_INET6);
        sockaddrIn6.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) address.getPort());
        if (ip instanceof Inet4Address) {
            sockaddrIn = arena.allocate(SOCKADDR_IN_LENGTH, 8);
            sockaddrIn.set(ValueLayout.JAVA_SHORT, 0, AF_INET);
            sockaddrIn.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) address.getPort());
            MemorySegment.copy(raw, 0, sockaddrIn, ValueLayout.JAVA_BYTE, 4, 4);
            // ::ffff:a.b.c.d
            sockaddrIn6.set(ValueLayout.JAVA_BYTE, 18, (byte) 0xff);
            sockaddrIn6.set(ValueLayout.JAVA_BYTE, 19, (byte) 0xff);
            MemorySegment.copy(raw, 0, sockaddrIn6, ValueLayout.JAVA_BYTE, 20, 4);
        } else {
            sockaddrIn = null;
            MemorySegment.copy(raw, 0, sockaddrIn6, ValueLayout.JAVA_BYTE, 8, 16);
            if (ip instanceof Inet6Address v6 && v6.getScopeId() != 0) {
                sockaddrIn6.set(ValueLayout.JAVA_INT, 24, v6.getScopeId());
            }
        }
    }

    /** An endpoint for a resolved socket address (not an unresolved host name). */
    public static Endpoint of(InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException(address + " is not resolved");
        }
        return new Endpoint(address);
    }

    public static Endpoint of(InetAddress address, int port) {
        return of(new InetSocketAddress(address, port));
    }

    public InetSocketAddress address() {
        return address;
    }

    public boolean isIpv4() {
        return sockaddrIn != null;
    }

    /** The destination as a {@code sockaddr_in} (null for IPv6). */
    MemorySegment sockaddrIn() {
        return sockaddrIn;
    }

    /** The destination as a {@code sockaddr_in6}; IPv4 addresses v4-mapped. */
    MemorySegment sockaddrIn6() {
        return sockaddrIn6;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Endpoint e && e.address.equals(address);
    }

    @Override
    public int hashCode() {
        return address.hashCode();
    }

    @Override
    public String toString() {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
