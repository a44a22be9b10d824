package io.astaire.dataplane.edge;

import io.astaire.dataplane.forward.Route;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.tun.TunIo;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * One receiving worker: takes a batch of datagrams from the UDP socket, checks that each is a
 * valid VXLAN-GPE + NSH datagram of a path that ends at this edge (its SPI and SI address this
 * edge's endpoint hop) carrying a valid inner IP packet, and writes the inner packet, from where
 * it lies in the receive buffer, to the TUN device; the kernel then routes it with its original
 * addresses. Everything else is dropped and counted by reason.
 */
final class NetworkToTunWorker implements Runnable {
    private final DatagramTransport transport;
    private final TunIo tun;
    private final PacketBatch batch;
    private final Supplier<EdgeTables> tables;
    private final EdgeCounters counters;
    private final GpeNshPacket packet = new GpeNshPacket();
    private final InnerPacket inner = new InnerPacket();
    private volatile boolean running = true;

    NetworkToTunWorker(DatagramTransport transport, TunIo tun, PacketBatch batch, Supplier<EdgeTables> tables,
                       EdgeCounters counters) {
        this.transport = transport;
        this.tun = tun;
        this.batch = batch;
        this.tables = tables;
        this.counters = counters;
    }

    @Override
    public void run() {
        while (running) {
            if (doWork() < 0) {
                break;
            }
        }
    }

    /** Receives one batch and delivers what belongs here; -1 once the socket is closed. */
    int doWork() {
        int n = transport.receive(batch);
        if (n <= 0) {
            return n;
        }
        EdgeTables t = tables.get();
        counters.add(EdgeCounters.NET_RECEIVED, n);
        for (int i = 0; i < n; i++) {
            deliver(t, i);
        }
        return n;
    }

    private void deliver(EdgeTables t, int slot) {
        if (batch.truncated(slot)) {
            counters.drop(DropReason.TRUNCATED);
            return;
        }
        ByteBuffer buf = batch.buffer(slot);
        WireError error = packet.wrap(buf, batch.offset(slot), batch.length(slot));
        if (error != WireError.OK) {
            counters.malformed(error);
            return;
        }
        NshHeader nsh = packet.nsh();
        int spi = nsh.spi();
        Route<Object> route = t.forwarding().route(spi, nsh.si());
        if (route == null || !route.terminal()) {
            counters.drop(DropReason.UNKNOWN_PATH);
            return;
        }
        int innerOffset = packet.innerOffset();
        int innerLength = packet.innerLength();
        error = inner.wrap(buf, innerOffset, innerLength, nsh.nextProtocol());
        if (error != WireError.OK) {
            counters.innerMalformed(error);
            return;
        }
        int written = tun.write(batch.address(slot) + innerOffset, innerLength);
        if (written < 0) {
            counters.drop(DropReason.TUN_WRITE_FAILED);
            return;
        }
        counters.delivered(spi, innerLength);
    }

    void stop() {
        running = false;
    }
}
