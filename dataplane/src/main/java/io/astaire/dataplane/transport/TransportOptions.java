package io.astaire.dataplane.transport;

import java.net.InetSocketAddress;
import java.time.Duration;
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
 */
public record TransportOptions(InetSocketAddress bind, boolean reusePort, int receiveBufferBytes,
                               int sendBufferBytes, Duration receiveTimeout) {

    public TransportOptions {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(receiveTimeout, "receiveTimeout");
        if (bind.isUnresolved()) {
            throw new IllegalArgumentException("bind address " + bind + " is not resolved");
        }
        if (receiveTimeout.isNegative() || receiveTimeout.isZero()) {
            throw new IllegalArgumentException("receiveTimeout must be positive");
        }
    }

    /** Reuse-port, 4 MiB buffers, 100 ms receive timeout. */
    public static TransportOptions defaults(InetSocketAddress bind) {
        return new TransportOptions(bind, true, 4 << 20, 4 << 20, Duration.ofMillis(100));
    }

    public TransportOptions withReusePort(boolean reuse) {
        return new TransportOptions(bind, reuse, receiveBufferBytes, sendBufferBytes, receiveTimeout);
    }

    public TransportOptions withBind(InetSocketAddress newBind) {
        return new TransportOptions(newBind, reusePort, receiveBufferBytes, sendBufferBytes, receiveTimeout);
    }

    public TransportOptions withReceiveTimeout(Duration timeout) {
        return new TransportOptions(bind, reusePort, receiveBufferBytes, sendBufferBytes, timeout);
    }
}
