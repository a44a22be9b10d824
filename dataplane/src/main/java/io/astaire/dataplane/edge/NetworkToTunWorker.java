package io.astaire.dataplane.edge;

import io.astaire.dataplane.agent.Agent;
import io.astaire.dataplane.counters.DropReason;
import io.astaire.dataplane.forward.Route;
import io.astaire.dataplane.oam.EchoResponder;
import io.astaire.dataplane.oam.OamEcho;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.tun.TunIo;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.WireError;
import io.astaire.wire.offload.TcpCoalescer;
import io.astaire.wire.offload.VirtioNetHeader;
import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * One receiving worker: takes a batch of datagrams from the UDP socket, checks that each is a
 * valid VXLAN-GPE + NSH datagram of a path that ends at this edge (its SPI and SI address this
 * edge's endpoint hop) carrying a valid inner IP packet, and writes the inner packet, from where
 * it lies in the receive buffer, to the TUN device; the kernel then routes it with its original
 * addresses. Everything else is dropped and counted by reason.
 *
 * <p>On a device with a virtio_net_hdr the inner packets of a batch first go through a
 * {@link TcpCoalescer}: in-order TCP segments of one flow are glued into one super-packet and
 * written with one system call (the kernel takes it as GRO would have built it); every other
 * packet is written where it lies, behind an all-zero header written over the NSH in front of it.
 */
final class NetworkToTunWorker implements Agent {
    private final DatagramTransport transport;
    private final TunIo tun;
    private final PacketBatch batch;
    private final Supplier<EdgeTables> tables;
    private final String name;
    private final EdgeWorkerCounts counters;
    private final GpeNshPacket packet = new GpeNshPacket();
    private final InnerPacket inner = new InnerPacket();
    private final EchoResponder echo = new EchoResponder();
    private final EdgeTrace trace;
    /** Null on a device without a virtio_net_hdr: each inner packet is written on its own. */
    private final TcpCoalescer coalescer;
    private final NativeAddresses groupAddresses;
    // The inner packet each slot carries, once accepted.
    private final int[] slotSpi;
    private final int[] slotInnerOffset;
    private final int[] slotInnerLength;

    /**
     * @param name the worker's thread name, for logs and /readyz
     * @param vnetHeader the device expects a virtio_net_hdr in front of every packet written
     */
    NetworkToTunWorker(String name, DatagramTransport transport, TunIo tun, boolean vnetHeader, PacketBatch batch,
                       Supplier<EdgeTables> tables, EdgeWorkerCounts counters, EdgeTrace trace) {
        this.name = name;
        this.trace = trace;
        this.transport = transport;
        this.tun = tun;
        this.batch = batch;
        this.tables = tables;
        this.counters = counters;
        int groups = maxGroups(batch.capacity());
        this.coalescer = vnetHeader ? new TcpCoalescer(groups) : null;
        this.groupAddresses = vnetHeader ? new NativeAddresses(groups) : null;
        this.slotSpi = new int[batch.capacity()];
        this.slotInnerOffset = new int[batch.capacity()];
        this.slotInnerLength = new int[batch.capacity()];
    }

    /**
     * Open groups per batch: a 64 KB buffer each. Half the batch is one group per two segments at
     * worst; 16 covers many interleaved flows without a worker holding megabytes.
     */
    static int maxGroups(int batchCapacity) {
        return Math.max(1, Math.min(batchCapacity / 2, 16));
    }

    @Override
    public String roleName() {
        return name;
    }

    /**
     * Receives one batch (waiting up to the receive timeout: the runner needs no idle strategy)
     * and delivers what belongs here; {@link #DONE} once the socket is closed.
     */
    @Override
    public int doWork() {
        int n = transport.receive(batch);
        if (n < 0) {
            return DONE;
        }
        if (n == 0) {
            return 0;
        }
        EdgeTables t = tables.get();
        counters.add(EdgeWorkerCounts.NET_RECEIVED, n);
        if (coalescer == null) {
            for (int i = 0; i < n; i++) {
                if (accept(t, i)) {
                    writeAlone(i);
                }
            }
        } else {
            deliverCoalesced(t, n);
        }
        return n;
    }

    /** Glues what can be glued, then writes every item in the order the coalescer keeps per flow. */
    private void deliverCoalesced(EdgeTables t, int n) {
        coalescer.reset();
        for (int i = 0; i < n; i++) {
            if (accept(t, i)) {
                coalescer.add(batch.buffer(i), slotInnerOffset[i], slotInnerLength[i], i);
            }
        }
        for (int item = 0, items = coalescer.itemCount(); item < items; item++) {
            if (coalescer.isGroup(item)) {
                writeGroup(item);
            } else {
                writeWithEmptyHeader(coalescer.tag(item));
            }
        }
    }

    /** Validates the datagram in {@code slot} and remembers its inner packet; false when it is dropped. */
    private boolean accept(EdgeTables t, int slot) {
        if (batch.truncated(slot)) {
            counters.drop(DropReason.TRUNCATED);
            return false;
        }
        ByteBuffer buf = batch.buffer(slot);
        if (OamEcho.isOam(buf, batch.offset(slot), batch.length(slot))) {
            // The rare path: a trace probe (never delivered to the TUN device) or an NSH OAM echo.
            if (!trace.handle(t, transport, buf, batch.offset(slot), batch.length(slot))) {
                echo.answer(transport, buf, batch.offset(slot), batch.length(slot));
            }
            return false;
        }
        WireError error = packet.wrap(buf, batch.offset(slot), batch.length(slot));
        if (error != WireError.OK) {
            counters.malformed(error);
            return false;
        }
        NshHeader nsh = packet.nsh();
        int spi = nsh.spi();
        Route<Object> route = t.forwarding().route(spi, nsh.si(), nsh.pathGeneration());
        if (route == null || !route.terminal()) {
            counters.drop(DropReason.UNKNOWN_PATH);
            return false;
        }
        int innerOffset = packet.innerOffset();
        int innerLength = packet.innerLength();
        error = inner.wrap(buf, innerOffset, innerLength, nsh.nextProtocol());
        if (error != WireError.OK) {
            counters.innerMalformed(error);
            return false;
        }
        slotSpi[slot] = spi;
        slotInnerOffset[slot] = innerOffset;
        slotInnerLength[slot] = innerLength;
        return true;
    }

    /** A device without a virtio_net_hdr: the bare inner packet. */
    private void writeAlone(int slot) {
        int written = tun.write(batch.address(slot) + slotInnerOffset[slot], slotInnerLength[slot]);
        delivered(slot, written);
    }

    /**
     * A packet that was not glued: an all-zero virtio_net_hdr (the kernel checks its checksums
     * itself) over the last bytes of the NSH, which are no longer needed, then the packet as it lies.
     */
    private void writeWithEmptyHeader(int slot) {
        int header = slotInnerOffset[slot] - VirtioNetHeader.LENGTH;
        VirtioNetHeader.writeNone(batch.buffer(slot), header);
        int written = tun.write(batch.address(slot) + header, VirtioNetHeader.LENGTH + slotInnerLength[slot]);
        delivered(slot, written);
    }

    private void delivered(int slot, int written) {
        if (written < 0) {
            counters.drop(DropReason.TUN_WRITE_FAILED);
            return;
        }
        counters.delivered(slotSpi[slot], 1, slotInnerLength[slot]);
    }

    /** A super-packet of several inner packets of one flow: one write from the coalescer's buffer. */
    private void writeGroup(int item) {
        ByteBuffer group = coalescer.groupBuffer(item);
        int length = coalescer.groupLength(item);
        int segments = coalescer.segments(item);
        long address = groupAddresses.of(group);
        int written = tun.write(address + coalescer.groupOffset(item), length);
        if (written < 0) {
            for (int s = 0; s < segments; s++) {
                counters.drop(DropReason.TUN_WRITE_FAILED);
            }
            return;
        }
        counters.delivered(slotSpi[coalescer.tag(item)], segments, length - VirtioNetHeader.LENGTH);
        counters.add(EdgeWorkerCounts.TUN_WRITE_GSO, 1);
        counters.add(EdgeWorkerCounts.TUN_COALESCED_SEGMENTS, segments);
    }

    /** This worker's trace probe handling (its counts are on /metrics). */
    EdgeTrace trace() {
        return trace;
    }

    /** This worker's OAM echo responder (its counts are on /metrics). */
    EchoResponder echo() {
        return echo;
    }
}
