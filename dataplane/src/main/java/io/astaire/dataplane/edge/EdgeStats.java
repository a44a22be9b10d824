package io.astaire.dataplane.edge;

import io.astaire.dataplane.counters.DropReason;
import io.astaire.dataplane.counters.StripedCounters;
import io.astaire.wire.WireError;
import io.astaire.wire.offload.OffloadError;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The sum of every worker's counters ({@link EdgeWorkerCounts}: a stripe of the shared counters
 * model each, plus packets per SPI), read off the packet path (metrics, tests, the status report).
 */
public final class EdgeStats {
    private final StripedCounters counters = new StripedCounters(EdgeWorkerCounts.LAYOUT);
    private final List<EdgeWorkerCounts> workers = new CopyOnWriteArrayList<>();

    EdgeWorkerCounts newWorker() {
        EdgeWorkerCounts c = new EdgeWorkerCounts(counters.newStripe());
        workers.add(c);
        return c;
    }

    /** The striped counters behind the totals, for rendering from their descriptors. */
    StripedCounters counters() {
        return counters;
    }

    private long sum(int id) {
        return counters.sum(id);
    }
    /** Packets read from the TUN device. */
    public long tunRead() {
        return sum(EdgeWorkerCounts.TUN_READ);
    }

    /** Reads from the TUN device that failed (the device was deleted, ...). */
    public long tunReadErrors() {
        return sum(EdgeWorkerCounts.TUN_READ_ERRORS);
    }

    /** Turns of the workers' loops that threw and were survived (see AgentRunner). */
    public long internalErrors() {
        return sum(EdgeWorkerCounts.INTERNAL_ERRORS);
    }

    /** Encapsulated packets handed to the kernel for sending. */
    public long sent() {
        return sum(EdgeWorkerCounts.SENT);
    }

    public long sentBytes() {
        return sum(EdgeWorkerCounts.SENT_BYTES);
    }

    /** Datagrams received from the network. */
    public long received() {
        return sum(EdgeWorkerCounts.NET_RECEIVED);
    }

    /** Inner packets written to the TUN device. */
    public long delivered() {
        return sum(EdgeWorkerCounts.TUN_WRITTEN);
    }

    public long deliveredBytes() {
        return sum(EdgeWorkerCounts.TUN_WRITTEN_BYTES);
    }

    /** Reads from a vnet-header device that held a super-packet (more than one segment). */
    public long tunReadGso() {
        return sum(EdgeWorkerCounts.TUN_READ_GSO);
    }

    /** IP packets the reads of a vnet-header device were cut into. */
    public long tunSegments() {
        return sum(EdgeWorkerCounts.TUN_SEGMENTS);
    }

    /** Super-packets written to a vnet-header device, each glued from several inner packets. */
    public long tunWriteGso() {
        return sum(EdgeWorkerCounts.TUN_WRITE_GSO);
    }

    /** Inner packets that were written as part of a super-packet. */
    public long tunCoalescedSegments() {
        return sum(EdgeWorkerCounts.TUN_COALESCED_SEGMENTS);
    }

    /** Reads from a vnet-header device dropped because header and packet did not add up, by reason. */
    public long offloadDrops(OffloadError error) {
        return sum(EdgeWorkerCounts.offloadId(error));
    }

    public long drops(DropReason reason) {
        return reason.atEdge() ? sum(EdgeWorkerCounts.dropId(reason)) : 0;
    }

    /** Datagrams from the network or their inner packets that failed to decode, by wire error. */
    public long wireErrors(WireError error) {
        return sum(EdgeWorkerCounts.wireErrorId(error));
    }

    /** Packets from the TUN device that were not valid IP, by what the decoder found. */
    public long tunMalformed(WireError error) {
        return sum(EdgeWorkerCounts.tunMalformedId(error));
    }

    /** Packets sent per SPI (the key {@link SpiCounts#OVERFLOW} collects SPIs that did not fit). */
    public Map<Integer, Long> sentPerSpi() {
        Map<Integer, Long> m = new TreeMap<>();
        for (EdgeWorkerCounts c : workers) {
            c.sentPerSpi().forEach((spi, n) -> m.merge(spi, n, Long::sum));
        }
        return m;
    }

    /** Packets delivered to the TUN device per SPI. */
    public Map<Integer, Long> deliveredPerSpi() {
        Map<Integer, Long> m = new TreeMap<>();
        for (EdgeWorkerCounts c : workers) {
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
        m.put("sent_bytes", sentBytes());
        m.put("received", received());
        m.put("delivered", delivered());
        m.put("delivered_bytes", deliveredBytes());
        m.put("tun_read_gso", tunReadGso());
        m.put("tun_segments", tunSegments());
        m.put("tun_write_gso", tunWriteGso());
        m.put("tun_coalesced_segments", tunCoalescedSegments());
        for (DropReason r : DropReason.values()) {
            if (r.atEdge()) {
                m.put("drop_" + r.label(), drops(r));
            }
        }
        for (OffloadError e : OffloadError.values()) {
            if (e != OffloadError.OK) {
                m.put("drop_" + e.label(), offloadDrops(e));
            }
        }
        return m;
    }
}
