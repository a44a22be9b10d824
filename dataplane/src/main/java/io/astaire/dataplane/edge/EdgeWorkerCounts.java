package io.astaire.dataplane.edge;

import io.astaire.dataplane.counters.CounterLayout;
import io.astaire.dataplane.counters.CounterStripe;
import io.astaire.dataplane.counters.DropReason;
import io.astaire.wire.WireError;
import io.astaire.wire.offload.OffloadError;

/**
 * An edge's counters in the shared counters model ({@link #LAYOUT}: descriptors from which
 * {@link EdgeMetrics} renders /metrics), and one worker's share of them: its own padded
 * {@link CounterStripe} plus its packets per SPI. Written by that worker alone; {@link EdgeStats}
 * sums the workers'.
 */
final class EdgeWorkerCounts {

    private static final String DROPPED = "astaire.edge.dropped.packets";
    private static final String DROPPED_HELP = "packets dropped, by reason";

    static final CounterLayout LAYOUT;
    static final int TUN_READ;
    static final int TUN_READ_ERRORS;
    static final int INTERNAL_ERRORS;
    static final int TUN_WRITTEN;
    static final int TUN_WRITTEN_BYTES;
    static final int SENT;
    static final int SENT_BYTES;
    static final int NET_RECEIVED;
    /** Reads from a vnet-header device that returned a super-packet of more than one segment. */
    static final int TUN_READ_GSO;
    /** IP packets the reads of a vnet-header device were cut into (one per plain read). */
    static final int TUN_SEGMENTS;
    /** Writes to a vnet-header device of a super-packet glued from several inner packets. */
    static final int TUN_WRITE_GSO;
    /** Inner packets that went into those super-packets. */
    static final int TUN_COALESCED_SEGMENTS;
    private static final int[] DROPS = new int[DropReason.values().length];
    private static final int[] OFFLOAD_DROPS = new int[OffloadError.values().length];
    private static final int[] WIRE_ERRORS = new int[WireError.values().length];
    private static final int[] TUN_MALFORMED = new int[WireError.values().length];

    static {
        CounterLayout.Builder b = CounterLayout.builder();
        TUN_READ = b.counter("astaire.edge.tun.read.packets", "IP packets read from the TUN device");
        TUN_READ_ERRORS = b.counter("astaire.edge.tun.read.errors", "reads from the TUN device that failed");
        INTERNAL_ERRORS = b.counter("astaire.edge.internal.errors",
                "turns of a worker's loop that threw (a bug, an unexpected errno); the worker went on");
        TUN_WRITTEN = b.counter("astaire.edge.tun.written.packets", "inner packets written to the TUN device");
        TUN_WRITTEN_BYTES = b.counter("astaire.edge.tun.written.bytes", "bytes of inner packets written to the TUN device");
        SENT = b.counter("astaire.edge.sent.datagrams", "encapsulated datagrams sent to first hops");
        SENT_BYTES = b.counter("astaire.edge.sent.bytes", "bytes of encapsulated datagrams sent");
        NET_RECEIVED = b.counter("astaire.edge.received.datagrams", "datagrams received from the network");
        TUN_READ_GSO = b.counter("astaire.edge.tun.read.gso", "TUN reads that returned a super-packet of several segments");
        TUN_SEGMENTS = b.counter("astaire.edge.tun.segments", "IP packets the TUN reads were cut into");
        TUN_WRITE_GSO = b.counter("astaire.edge.tun.write.gso", "TUN writes of a super-packet glued from several inner packets");
        TUN_COALESCED_SEGMENTS = b.counter("astaire.edge.tun.coalesced.segments", "inner packets written as part of a super-packet");
        java.util.Arrays.fill(DROPS, -1);
        for (DropReason r : DropReason.values()) {
            if (r.atEdge()) {
                DROPS[r.ordinal()] = b.counter(DROPPED, DROPPED_HELP, "reason", r.label());
            }
        }
        // A TUN read whose virtio_net_hdr does not fit its packet is a dropped packet too, named by what is wrong.
        for (OffloadError e : OffloadError.values()) {
            OFFLOAD_DROPS[e.ordinal()] = e == OffloadError.OK ? -1 : b.counter(DROPPED, DROPPED_HELP, "reason", e.label());
        }
        for (WireError e : WireError.values()) {
            WIRE_ERRORS[e.ordinal()] = e == WireError.OK ? -1
                    : b.counter("astaire.edge.wire.errors", "datagrams or inner packets that failed to decode, by error", "error", e.label());
        }
        for (WireError e : WireError.values()) {
            TUN_MALFORMED[e.ordinal()] = e == WireError.OK ? -1
                    : b.counter("astaire.edge.tun.malformed.packets",
                            "packets from the TUN device that are not valid IP, by what the decoder found (their total: dropped{reason=tun_malformed})",
                            "reason", e.label());
        }
        LAYOUT = b.build();
    }

    private final CounterStripe counters;
    private final SpiCounts sentPerSpi = new SpiCounts(256);
    private final SpiCounts deliveredPerSpi = new SpiCounts(256);

    EdgeWorkerCounts(CounterStripe counters) {
        this.counters = counters;
    }

    void add(int id, long n) {
        counters.add(id, n);
    }

    void drop(DropReason reason) {
        counters.add(dropId(reason), 1);
    }

    static int dropId(DropReason reason) {
        int id = DROPS[reason.ordinal()];
        if (id < 0) {
            throw new IllegalArgumentException(reason + " is not an edge's drop reason");
        }
        return id;
    }

    static int offloadId(OffloadError error) {
        return OFFLOAD_DROPS[error.ordinal()];
    }

    static int wireErrorId(WireError error) {
        return WIRE_ERRORS[error.ordinal()];
    }

    static int tunMalformedId(WireError error) {
        return TUN_MALFORMED[error.ordinal()];
    }

    /** A datagram from the network that failed to decode: counted by reason and by wire error. */
    void malformed(WireError error) {
        drop(DropReason.DECAP_MALFORMED);
        counters.add(wireErrorId(error), 1);
    }

    void innerMalformed(WireError error) {
        drop(DropReason.INNER_MALFORMED);
        counters.add(wireErrorId(error), 1);
    }

    /** A packet from the TUN device that is not valid IP: the total and by what the decoder found. */
    void tunMalformed(WireError error) {
        drop(DropReason.TUN_MALFORMED);
        counters.add(tunMalformedId(error), 1);
    }

    /** A read from a vnet-header device whose header and packet do not add up: dropped, by reason. */
    void offloadDrop(OffloadError error) {
        counters.add(offloadId(error), 1);
    }

    void sent(int spi, int bytes) {
        sentPerSpi.increment(spi);
        counters.add(SENT, 1);
        counters.add(SENT_BYTES, bytes);
    }

    /** {@code packets} inner packets of {@code spi} written to the TUN device, in one write or several. */
    void delivered(int spi, int packets, int bytes) {
        deliveredPerSpi.add(spi, packets);
        counters.add(TUN_WRITTEN, packets);
        counters.add(TUN_WRITTEN_BYTES, bytes);
    }

    SpiCounts sentPerSpi() {
        return sentPerSpi;
    }

    SpiCounts deliveredPerSpi() {
        return deliveredPerSpi;
    }
}
