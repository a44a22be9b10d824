package io.astaire.dataplane.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * The portable transport: a non-blocking {@link DatagramChannel} drained until empty or the
 * batch is full, and a {@link Selector} to wait (up to the receive timeout) when there is
 * nothing. One system call per datagram, but no allocation in steady state (the JDK caches the
 * last peer address). It cannot see ICMP errors, so replicas are only dropped by the resolver.
 * It uses no offloads and sends from its one socket, whatever the options say.
 */
public final class NioDatagramTransport implements DatagramTransport {

    private final DatagramChannel channel;
    private final Selector selector;
    private final InetSocketAddress localAddress;
    private final long timeoutMillis;
    private volatile boolean open = true;

    private NioDatagramTransport(DatagramChannel channel, Selector selector, long timeoutMillis) throws IOException {
        this.channel = channel;
        this.selector = selector;
        this.localAddress = (InetSocketAddress) channel.getLocalAddress();
        this.timeoutMillis = timeoutMillis;
    }

    public static NioDatagramTransport open(TransportOptions options) {
        InetSocketAddress bind = options.bind();
        DatagramChannel channel = null;
        try {
            channel = DatagramChannel.open(bind.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            if (options.reusePort()) {
                channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            if (options.receiveBufferBytes() > 0) {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBufferBytes());
            }
            if (options.sendBufferBytes() > 0) {
                channel.setOption(StandardSocketOptions.SO_SNDBUF, options.sendBufferBytes());
            }
            channel.bind(bind);
            channel.configureBlocking(false);
            Selector selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            return new NioDatagramTransport(channel, selector, Math.max(1, options.receiveTimeout().toMillis()));
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // reporting the first failure
                }
            }
            throw new UncheckedIOException("cannot bind UDP " + bind + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public int receive(PacketBatch batch) {
        if (!open) {
            return -1;
        }
        int headroom = batch.headroom();
        int room = batch.maxDatagram();
        int n = 0;
        boolean waited = false;
        try {
            while (n < batch.capacity()) {
                ByteBuffer buf = batch.ownBuffer(n);
                // One byte more than fits tells a truncated datagram apart from one of exactly maxDatagram.
                buf.limit(headroom + room + 1).position(headroom);
                SocketAddress from = channel.receive(buf);
                if (from == null) {
                    buf.clear();
                    if (n > 0 || waited) {
                        break;
                    }
                    selector.select(timeoutMillis);
                    selector.selectedKeys().clear();
                    waited = true;
                    if (!open) {
                        return -1;
                    }
                    continue;
                }
                int len = buf.position() - headroom;
                buf.clear(); // users read with absolute accessors, checked against the limit
                batch.received(n, Math.min(len, room), len > room, (InetSocketAddress) from, -1);
                n++;
            }
        } catch (ClosedChannelException | ClosedSelectorException e) {
            batch.size(0);
            return -1;
        } catch (IOException e) {
            if (!open) {
                batch.size(0);
                return -1;
            }
            // ICMP errors can surface as exceptions on some systems; what was received is kept.
            if (n == 0) {
                batch.size(0);
                return 0;
            }
        }
        batch.size(n);
        return n;
    }

    @Override
    public int send(PacketBatch batch) {
        int sent = 0;
        batch.clearSent(batch.size());
        for (int i = 0, size = batch.size(); i < size; i++) {
            Endpoint to = batch.destination(i);
            if (to == null) {
                continue;
            }
            ByteBuffer buf = batch.buffer(i);
            int offset = batch.offset(i);
            buf.limit(offset + batch.length(i)).position(offset);
            try {
                if (channel.send(buf, to.address()) > 0 || batch.length(i) == 0) {
                    batch.markSent(i);
                    sent++;
                }
            } catch (IOException | RuntimeException e) {
                if (!open) {
                    buf.clear();
                    return sent;
                }
                // unreachable network, message too long, family mismatch: this datagram fails
            }
            buf.clear();
        }
        return sent;
    }

    @Override
    public int drainErrors(UnreachableListener listener) {
        return 0;
    }

    @Override
    public boolean reportsUnreachable() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        selector.wakeup();
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public String toString() {
        return "NIO UDP " + localAddress;
    }
}
