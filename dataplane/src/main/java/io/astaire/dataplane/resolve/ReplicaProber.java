package io.astaire.dataplane.resolve;

import io.astaire.dataplane.oam.OamEcho;
import io.astaire.dataplane.transport.Endpoint;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends NSH OAM echo requests ({@link OamEcho}) to replicas and reports the nonces that come back:
 * how a resolver learns that a replica it took out is alive again. One UDP socket of its own
 * (bound to the wildcard address, opened at the first probe) and one thread blocked on it; never
 * on the packet path.
 */
final class ReplicaProber implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaProber.class);

    private final LongConsumer answered;
    private final ByteBuffer request = ByteBuffer.allocate(OamEcho.LENGTH);
    /** The local address the kernel would send from to each target: what the reply-to field says. */
    private final Map<InetAddress, InetAddress> sourceFor = new ConcurrentHashMap<>();
    private DatagramChannel channel;
    private Thread receiver;
    private boolean closed;

    /** @param answered told, on the prober's thread, the nonce of every well-formed reply */
    ReplicaProber(LongConsumer answered) {
        this.answered = answered;
    }

    /** Sends one echo request to {@code target}; a failure is logged at debug (the next probe tries again). */
    synchronized void probe(Endpoint target, long nonce) {
        if (closed) {
            return;
        }
        try {
            DatagramChannel c = open();
            InetSocketAddress to = target.address();
            InetAddress from = sourceFor.computeIfAbsent(to.getAddress(), ReplicaProber::routeSource);
            int port = ((InetSocketAddress) c.getLocalAddress()).getPort();
            request.clear();
            OamEcho.writeRequest(request, 0, new InetSocketAddress(from, port), nonce);
            request.limit(OamEcho.LENGTH);
            c.send(request, to);
        } catch (IOException | RuntimeException e) {
            LOG.debug("probe to {} not sent: {}", target, e.toString());
        }
    }

    private DatagramChannel open() throws IOException {
        if (channel == null) {
            channel = DatagramChannel.open();
            channel.bind(new InetSocketAddress(0));
            DatagramChannel c = channel;
            receiver = Thread.ofPlatform().daemon().name("astaire-prober").start(() -> receive(c));
        }
        return channel;
    }

    private void receive(DatagramChannel c) {
        ByteBuffer in = ByteBuffer.allocate(2048);
        while (true) {
            try {
                in.clear();
                c.receive(in);
                if (OamEcho.type(in, 0, in.position()) == OamEcho.REPLY) {
                    answered.accept(OamEcho.nonce(in, 0));
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.debug("prober receive: {}", e.toString());
            }
        }
    }

    /** The source address of a datagram to {@code target} (a route lookup; no packet is sent). */
    private static InetAddress routeSource(InetAddress target) {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(target, 9);
            InetAddress local = s.getLocalAddress();
            return local.isAnyLocalAddress() ? target : local;
        } catch (IOException e) {
            return target;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing: nothing to do
            }
        }
        if (receiver != null) {
            try {
                receiver.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
