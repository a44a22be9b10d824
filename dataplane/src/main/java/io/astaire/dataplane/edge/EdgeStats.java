package io.astaire.dataplane.edge;

import io.astaire.wire.WireError;
import io.astaire.wire.offload.OffloadError;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The sum of every worker's {@link EdgeCounters}, read off the packet path (metrics, tests, the
 * status report). Each accessor adds up the workers' current values.
 */
public final class EdgeStats {
    private final List<EdgeCounters> workers = new CopyOnWriteArrayList<>();

    EdgeCounters newWorker() {
        EdgeCounters c = new EdgeCounters();
        workers.add(c);
        return c;
    }

    private long sum(int index) {
        long t = 0;
        for (EdgeCounters c : workers) {
            t += c.total(index);
        }
        return t;
    }

    /** Packets read from the TUN device. */
    public long tunRead() {
        return sum(EdgeCounters.TUN_READ);
    }

    /** Reads from the TUN device that failed (the device was deleted, ...). */
    public long tunReadErrors() {
        return sum(EdgeCounters.TUN_READ_ERRORS);
    }

    /** Turns of the workers' loops that threw and were survived (see WorkerGuard). */
    public long internalErrors() {
        return sum(EdgeCounters.INTERNAL_ERRORS);
    }

    /** Encapsulated packets handed to the kernel for sending. */
    public long sent() {
        return sum(EdgeCounters.SENT);
    }

    public long sentBytes() {
        return sum(EdgeCounters.SENT_BYTES);
    }

    /** Datagrams received from the network. */
    public long received() {
        return sum(EdgeCounters.NET_RECEIVED);
    }

    /** Inner packets written to the TUN device. */
    public long delivered() {
        return sum(EdgeCounters.TUN_WRITTEN);
    }

    public long deliveredBytes() {
        return sum(EdgeCounters.TUN_WRITTEN_BYTES);
    }

    /** Reads from a vnet-header device that held a super-packet (more than one segment). */
    public long tunReadGso() {
        return sum(EdgeCounters.TUN_READ_GSO);
    }

    /** IP packets the reads of a vnet-header device were cut into. */
    public long tunSegments() {
        return sum(EdgeCounters.TUN_SEGMENTS);
    }

    /** Super-packets written to a vnet-header device, each glued from several inner packets. */
    public long tunWriteGso() {
        return sum(EdgeCounters.TUN_WRITE_GSO);
    }

    /** Inner packets that were written as part of a super-packet. */
    public long tunCoalescedSegments() {
        return sum(EdgeCounters.TUN_COALESCED_SEGMENTS);
    }

    /** Reads from a vnet-header device dropped because header and packet did not add up, by reason. */
    public long offloadDrops(OffloadError error) {
        long t = 0;
        for (EdgeCounters c : workers) {
            t += c.offloadDrops(error);
        }
        return t;
    }

    public long drops(DropReason reason) {
        long t = 0;
        for (EdgeCounters c : workers) {
            t += c.drops(reason);
        }
        return t;
    }

    public long wireErrors(WireError error) {
        long t = 0;
        for (EdgeCounters c : workers) {
            t += c.wireErrors(error);
        }
        return t;
    }

    /** Packets sent per SPI (the key {@link SpiCounts#OVERFLOW} collects SPIs that did not fit). */
    public Map<Integer, Long> sentPerSpi() {
        Map<Integer, Long> m = new TreeMap<>();
        for (EdgeCounters c : workers) {
            c.sentPerSpi().forEach((spi, n) -> m.merge(spi, n, Long::sum));
        }
        return m;
    }

    /** Packets delivered to the TUN device per SPI. */
    public Map<Integer, Long> deliveredPerSpi() {
        Map<Integer, Long> m = new TreeMap<>();
        for (EdgeCounters c : workers) {
            c.deliveredPerSpi().forEach((spi, n) -> m.merge(spi, n, Long::sum));
        }
        return m;
    }

    /** Every counter by name, for status reports and logs. */
    public Map<String, Long> asMap() {
        Map<String, Long> m = new TreeMap<>();
        m.put("tun_read", tunRead());
        m.put("tun_read_errors", tunReadErrors());
        m.put("internal_errors", internalErrors());
        m.put("sent", sent());
        m.put("received", received());
        m.put("delivered", delivered());
        m.put("tun_read_gso", tunReadGso());
        m.put("tun_segments", tunSegments());
        m.put("tun_write_gso", tunWriteGso());
        m.put("tun_coalesced_segments", tunCoalescedSegments());
        for (DropReason r : DropReason.values()) {
            m.put("drop_" + r.label(), drops(r));
        }
        for (OffloadError e : OffloadError.values()) {
            if (e != OffloadError.OK) {
                m.put("drop_" + e.label(), offloadDrops(e));
            }
        }
        return m;
    }
}
