package io.astaire.dataplane.node;

/** Packets and bytes in and out of one service path (SPI), striped per worker. */
final class PathStats {

    static final int PACKETS_IN = 0;
    static final int BYTES_IN = 1;
    static final int PACKETS_OUT = 2;
    static final int BYTES_OUT = 3;

    final String spiLabel;
    final long[] counters;

    PathStats(String spiLabel, int workers) {
        this.spiLabel = spiLabel;
        this.counters = Counters.striped(workers, 4);
    }

    long sum(int k) {
        return Counters.sum(counters, k);
    }
}
