package io.astaire.dataplane.edge;

import io.astaire.wire.WireError;
import io.astaire.wire.offload.OffloadError;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One worker's counters: plain longs written by that worker alone (release stores, no lock
 * prefix) and read by the metrics thread (acquire loads). {@link EdgeStats} sums the workers'.
 */
public final class EdgeCounters {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** Indexes of {@link #totals}. */
    static final int TUN_READ = 0;
    static final int SENT = 1;
    static final int NET_RECEIVED = 2;
    static final int TUN_WRITTEN = 3;
    static final int SENT_BYTES = 4;
    static final int TUN_WRITTEN_BYTES = 5;
    static final int TUN_READ_ERRORS = 6;
    /** Reads from a vnet-header device that returned a super-packet of more than one segment. */
    static final int TUN_READ_GSO = 7;
    /** IP packets the reads of a vnet-header device were cut into (one per plain read). */
    static final int TUN_SEGMENTS = 8;
    /** Writes to a vnet-header device of a super-packet glued from several inner packets. */
    static final int TUN_WRITE_GSO = 9;
    /** Inner packets that went into those super-packets. */
    static final int TUN_COALESCED_SEGMENTS = 10;
    /** Turns of a worker's loop that threw (a bug or an unexpected errno); the worker went on. */
    static final int INTERNAL_ERRORS = 11;
    static final int TOTALS = 12;

    private final long[] totals = new long[TOTALS];
    private final long[] drops = new long[DropReason.values().length];
    private final long[] wireErrors = new long[WireError.values().length];
    private final long[] offloadDrops = new long[OffloadError.values().length];
    private final SpiCounts sentPerSpi = new SpiCounts(256);
    private final SpiCounts deliveredPerSpi = new SpiCounts(256);

    void add(int total, long n) {
        LONGS.setRelease(totals, total, totals[total] + n);
    }

    void drop(DropReason reason) {
        int i = reason.ordinal();
        LONGS.setRelease(drops, i, drops[i] + 1);
    }

    /** A datagram from the network that failed to decode: counted by reason and by wire error. */
    void malformed(WireError error) {
        drop(DropReason.DECAP_MALFORMED);
        int i = error.ordinal();
        LONGS.setRelease(wireErrors, i, wireErrors[i] + 1);
    }

    void innerMalformed(WireError error) {
        drop(DropReason.INNER_MALFORMED);
        int i = error.ordinal();
        LONGS.setRelease(wireErrors, i, wireErrors[i] + 1);
    }

    /** A read from a vnet-header device whose header and packet do not add up: dropped, by reason. */
    void offloadDrop(OffloadError error) {
        int i = error.ordinal();
        LONGS.setRelease(offloadDrops, i, offloadDrops[i] + 1);
    }

    void sent(int spi, int bytes) {
        sentPerSpi.increment(spi);
        add(SENT, 1);
        add(SENT_BYTES, bytes);
    }

    void delivered(int spi, int bytes) {
        delivered(spi, 1, bytes);
    }

    /** {@code packets} inner packets of {@code spi} written to the TUN device, in one write or several. */
    void delivered(int spi, int packets, int bytes) {
        deliveredPerSpi.add(spi, packets);
        add(TUN_WRITTEN, packets);
        add(TUN_WRITTEN_BYTES, bytes);
    }

    long total(int index) {
        return (long) LONGS.getAcquire(totals, index);
    }

    long drops(DropReason reason) {
        return (long) LONGS.getAcquire(drops, reason.ordinal());
    }

    long wireErrors(WireError error) {
        return (long) LONGS.getAcquire(wireErrors, error.ordinal());
    }

    long offloadDrops(OffloadError error) {
        return (long) LONGS.getAcquire(offloadDrops, error.ordinal());
    }

    SpiCounts sentPerSpi() {
        return sentPerSpi;
    }

    SpiCounts deliveredPerSpi() {
        return deliveredPerSpi;
    }
}
