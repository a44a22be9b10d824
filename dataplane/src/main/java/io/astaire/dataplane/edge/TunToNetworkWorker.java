package io.astaire.dataplane.edge;

import io.astaire.dataplane.classify.Classifier;
import io.astaire.dataplane.classify.RuleTable;
import io.astaire.dataplane.forward.Route;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.tun.TunIo;
import io.astaire.model.ServicePath;
import io.astaire.wire.FlowKey;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * One TUN queue's worker: reads up to a batch of IP packets straight into the slots of a
 * {@link PacketBatch} (each at the slot's headroom), classifies each to an SPI, writes VXLAN-GPE
 * and NSH MD1 (SI 255, TTL 63) into the headroom in front of it, picks the path's first hop for
 * the flow, and sends the whole batch with one system call. Nothing is copied or allocated per
 * packet. Runs on its own platform thread: the TUN descriptor is polled with a timeout so the
 * worker notices {@link #stop()}.
 */
final class TunToNetworkWorker implements Runnable {
    static final int TTL = 63;
    private static final int POLL_MILLIS = 100;
    private static final long ERROR_DRAIN_NANOS = 200_000_000L;

    private final TunIo tun;
    private final DatagramTransport transport;
    private final PacketBatch batch;
    private final int[] slotSpi;
    private final int readCapacity;
    private final Supplier<EdgeTables> tables;
    private final Classifier classifier;
    private final EdgeCounters counters;
    private final DatagramTransport.UnreachableListener unreachable;
    private final InnerPacket inner = new InnerPacket();
    private final FlowKey flow = new FlowKey();
    private volatile boolean running = true;
    private volatile int lastReadError;
    private long nextErrorDrain;

    TunToNetworkWorker(TunIo tun, DatagramTransport transport, PacketBatch batch, Supplier<EdgeTables> tables,
                       Classifier classifier, EdgeCounters counters, DatagramTransport.UnreachableListener unreachable) {
        if (batch.headroom() < GpeNshPacket.HEADROOM_MD1) {
            throw new IllegalArgumentException("batch headroom " + batch.headroom() + " < " + GpeNshPacket.HEADROOM_MD1);
        }
        this.tun = tun;
        this.transport = transport;
        this.batch = batch;
        this.tables = tables;
        this.classifier = classifier;
        this.counters = counters;
        this.unreachable = unreachable;
        this.slotSpi = new int[batch.capacity()];
        this.readCapacity = batch.maxDatagram() - GpeNshPacket.HEADROOM_MD1;
    }

    @Override
    public void run() {
        while (running) {
            int work = doWork();
            if (work == 0 && running) {
                tun.awaitReadable(POLL_MILLIS);
            } else if (work < 0 && running) {
                // The device reports an error (deleted under us: EBADFD); poll would return at once.
                java.util.concurrent.locks.LockSupport.parkNanos(POLL_MILLIS * 1_000_000L);
            }
            long now = System.nanoTime();
            if (now - nextErrorDrain > 0) {
                nextErrorDrain = now + ERROR_DRAIN_NANOS;
                drainErrors();
            }
        }
    }

    /** Reads, classifies, encapsulates and sends one batch; returns the packets read, or -1 on a read error. */
    int doWork() {
        EdgeTables t = tables.get();
        int headroom = batch.headroom();
        int n = 0;
        int read = 0;
        while (n < batch.capacity()) {
            int length = tun.read(batch.address(n) + headroom, readCapacity);
            if (length <= 0) {
                if (length < 0) {
                    readError(-length);
                    if (read == 0) {
                        return -1;
                    }
                }
                break; // nothing more waiting
            }
            read++;
            counters.add(EdgeCounters.TUN_READ, 1);
            if (prepare(t, n, headroom, length)) {
                n++;
            }
        }
        if (n > 0) {
            send(n);
        }
        return read;
    }

    /** Classifies and encapsulates the packet in slot {@code n}; false when it is dropped. */
    private boolean prepare(EdgeTables t, int n, int headroom, int length) {
        ByteBuffer buf = batch.buffer(n);
        WireError error = inner.wrap(buf, headroom, length);
        if (error != WireError.OK) {
            counters.drop(DropReason.TUN_MALFORMED);
            return false;
        }
        flow.from(inner);
        int spi = classifier.classify(flow);
        if (spi == RuleTable.NO_MATCH) {
            counters.drop(DropReason.NO_MATCH);
            return false;
        }
        Route<Object> route = t.forwarding().route(spi, ServicePath.INITIAL_SI);
        Endpoint next = route == null || route.next() == null ? null : route.next().select(flow.symmetricHash());
        if (next == null) {
            counters.drop(DropReason.NO_ROUTE);
            return false;
        }
        int nextProtocol = inner.version() == 4 ? NshHeader.NEXT_PROTOCOL_IPV4 : NshHeader.NEXT_PROTOCOL_IPV6;
        int start = GpeNshPacket.encapsulateMd1(buf, headroom, length, spi, ServicePath.INITIAL_SI, TTL, nextProtocol);
        batch.offset(n, start).length(n, length + GpeNshPacket.HEADROOM_MD1).destination(n, next)
                .flowHash(n, flow.symmetricHash());
        slotSpi[n] = spi;
        return true;
    }

    private void send(int n) {
        batch.size(n);
        int sent = transport.send(batch);
        for (int i = 0; i < n; i++) {
            if (i < sent) {
                counters.sent(slotSpi[i], batch.length(i));
            } else {
                counters.drop(DropReason.SEND_FAILED);
            }
        }
    }

    private void readError(int errno) {
        counters.add(EdgeCounters.TUN_READ_ERRORS, 1);
        lastReadError = errno;
    }

    /** The errno of the last failed TUN read, 0 when none failed. */
    int lastReadError() {
        return lastReadError;
    }

    private void drainErrors() {
        if (transport.reportsUnreachable()) {
            transport.drainErrors(unreachable);
        }
    }

    void stop() {
        running = false;
    }
}
