package io.astaire.dataplane.node;

import io.astaire.dataplane.counters.CounterLayout;
import io.astaire.dataplane.counters.StripedCounters;

/** Packets and bytes in and out of one service path (SPI), a stripe per worker. */
final class PathStats {

    static final int PACKETS_IN = 0;
    static final int BYTES_IN = 1;
    static final int PACKETS_OUT = 2;
    static final int BYTES_OUT = 3;

    final String spiLabel;
    final StripedCounters counters;

    PathStats(String spiLabel, int workers) {
        this.spiLabel = spiLabel;
        CounterLayout.Builder b = CounterLayout.builder();
        b.counter("astaire.sf.packets.received", "Packets received on a service path", "spi", spiLabel);
        b.counter("astaire.sf.path.bytes.received", "Bytes received on a service path", "spi", spiLabel);
        b.counter("astaire.sf.packets.sent", "Packets forwarded on a service path", "spi", spiLabel);
        b.counter("astaire.sf.path.bytes.sent", "Bytes forwarded on a service path", "spi", spiLabel);
        this.counters = new StripedCounters(b.build(), workers);
    }

    long sum(int k) {
        return counters.sum(k);
    }
}
