package io.astaire.dataplane.transport;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How to open a {@link DatagramTransport}.
 *
 * @param bind local address (port 0 for an ephemeral port)
 * @param reusePort set {@code SO_REUSEPORT} so several workers can bind the same port
 * @param receiveBufferBytes {@code SO_RCVBUF}, 0 keeps the system default
 * @param sendBufferBytes {@code SO_SNDBUF}, 0 keeps the system default
 * @param receiveTimeout how long {@link DatagramTransport#receive} waits for a first datagram,
 *     which bounds how long a worker takes to notice that it should stop
 * @param offload whether the native transport uses UDP segmentation offloads (GSO on send, GRO
 *     on receive) where the kernel has them; the NIO transport never does
 * @param sourcePorts how many UDP source ports the native transport sends from: 1 sends from the
 *     bound socket; more opens that many send-only sockets on ephemeral ports and sends each flow
 *     ({@link PacketBatch#flowHash(int)}) from one of them (RFC 7348 §5), so the next hop's
 *     {@code SO_REUSEPORT} workers and ECMP spread the flows. The NIO transport ignores it
 * @param peer the one destination almost everything goes to, or null: the native transport then
 *     {@code connect}s its send-only sockets to it and sends to it without a destination address
 * @param keepSourceAddress whether {@link PacketBatch#source(int)} must tell who sent a received
 *     datagram; without it the native transport does not ask the kernel for the sender
 */
public record TransportOptions(InetSocketAddress bind, boolean reusePort, int receiveBufferBytes,
                               int sendBufferBytes, Duration receiveTimeout, Offload offload, int sourcePorts,
                               InetSocketAddress peer, boolean keepSourceAddress) {

    /** The most send-only sockets one transport opens. */
    public static final int MAX_SOURCE_PORTS = 64;
    /**
     * What the roles send from unless told otherwise: enough ports for a next hop's SO_REUSEPORT
     * workers and ECMP to spread flows, few enough that a batch touching all of them costs few
     * system calls (one sendmmsg per port it touches).
     */
    public static final int DEFAULT_SOURCE_PORTS = 8;

    /** Whether to use UDP segmentation offloads. */
    public enum Offload {
        /** GSO and GRO where the kernel supports them. */
        AUTO,
        /** One datagram per message, as without offloads. */
        OFF;

        /** {@code auto} or {@code off}, in any case; anything else fails naming the choices. */
        public static Offload parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("--offload must be auto or off, was " + text);
            }
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public TransportOptions {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(receiveTimeout, "receiveTimeout");
        Objects.requireNonNull(offload, "offload");
        if (bind.isUnresolved()) {
            throw new IllegalArgumentException("bind address " + bind + " is not resolved");
        }
        if (receiveTimeout.isNegative() || receiveTimeout.isZero()) {
            throw new IllegalArgumentException("receiveTimeout must be positive");
        }
        if (sourcePorts < 1 || sourcePorts > MAX_SOURCE_PORTS) {
            throw new IllegalArgumentException("source ports must be within 1-" + MAX_SOURCE_PORTS + ", was " + sourcePorts);
        }
        if (peer != null && peer.isUnresolved()) {
            throw new IllegalArgumentException("peer address " + peer + " is not resolved");
        }
    }

    /** Reuse-port, 4 MiB buffers, 100 ms receive timeout, offloads where supported, one source port. */
    public static TransportOptions defaults(InetSocketAddress bind) {
        return new TransportOptions(bind, true, 4 << 20, 4 << 20, Duration.ofMillis(100), Offload.AUTO, 1, null, false);
    }

    public TransportOptions withReusePort(boolean reuse) {
        return new TransportOptions(bind, reuse, receiveBufferBytes, sendBufferBytes, receiveTimeout, offload, sourcePorts, peer, keepSourceAddress);
    }

    public TransportOptions withBind(InetSocketAddress newBind) {
        return new TransportOptions(newBind, reusePort, receiveBufferBytes, sendBufferBytes, receiveTimeout, offload, sourcePorts, peer, keepSourceAddress);
    }

    public TransportOptions withReceiveTimeout(Duration timeout) {
        return new TransportOptions(bind, reusePort, receiveBufferBytes, sendBufferBytes, timeout, offload, sourcePorts, peer, keepSourceAddress);
    }

    public TransportOptions withOffload(Offload newOffload) {
        return new TransportOptions(bind, reusePort, receiveBufferBytes, sendBufferBytes, receiveTimeout, newOffload, sourcePorts, peer, keepSourceAddress);
    }

    public TransportOptions withSourcePorts(int count) {
        return new TransportOptions(bind, reusePort, receiveBufferBytes, sendBufferBytes, receiveTimeout, offload, count, peer, keepSourceAddress);
    }

    public TransportOptions withPeer(InetSocketAddress newPeer) {
        return new TransportOptions(bind, reusePort, receiveBufferBytes, sendBufferBytes, receiveTimeout, offload, sourcePorts, newPeer, keepSourceAddress);
    }

    public TransportOptions withKeepSourceAddress(boolean keep) {
        return new TransportOptions(bind, reusePort, receiveBufferBytes, sendBufferBytes, receiveTimeout, offload, sourcePorts, peer, keep);
    }
}
