package io.astaire.cli.train;

import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.wire.FlowKey;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.WireError;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The receiving end of the training run, on its own platform thread: takes batches from UDP and
 * does per packet what the egress does before its TUN write (decapsulate, parse the inner packet,
 * find its flow), counting what arrived whole. Stops when closed.
 */
public final class TrainingEgress implements AutoCloseable {

    private final DatagramTransport transport = DatagramTransports.open(DatagramTransports.Kind.AUTO,
            TransportOptions.defaults(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).withReusePort(false));
    private final PacketBatch batch;
    private final GpeNshPacket datagram = new GpeNshPacket();
    private final InnerPacket inner = new InnerPacket();
    private final FlowKey flow = new FlowKey();
    private final Thread thread;
    private volatile long delivered;
    private volatile long malformed;

    /** Starts receiving {@code batchSize} datagrams per system call. */
    public TrainingEgress(int batchSize) {
        this.batch = new PacketBatch(batchSize, TrainingTraffic.MAX_LENGTH + GpeNshPacket.MAX_HEADROOM, 0);
        this.thread = Thread.ofPlatform().name("astaire-train-egress").daemon(true).start(this::run);
    }

    /** Where datagrams for this egress go. */
    public InetSocketAddress address() {
        return transport.localAddress();
    }

    /** Datagrams received that decapsulated and parsed. */
    public long delivered() {
        return delivered;
    }

    /** Datagrams received that did not. */
    public long malformed() {
        return malformed;
    }

    private void run() {
        int n;
        while ((n = transport.receive(batch)) >= 0) {
            int good = 0;
            for (int i = 0; i < n; i++) {
                if (decapsulate(i)) {
                    good++;
                }
            }
            delivered += good; // one writer: this thread
            malformed += n - good;
        }
    }

    private boolean decapsulate(int slot) {
        if (batch.truncated(slot) || datagram.wrap(batch.buffer(slot), batch.offset(slot), batch.length(slot)) != WireError.OK) {
            return false;
        }
        int nextProtocol = datagram.nsh().nextProtocol();
        if (inner.wrap(datagram.buffer(), datagram.innerOffset(), datagram.innerLength(), nextProtocol) != WireError.OK) {
            return false;
        }
        flow.from(inner);
        return true;
    }

    @Override
    public void close() {
        transport.close();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
