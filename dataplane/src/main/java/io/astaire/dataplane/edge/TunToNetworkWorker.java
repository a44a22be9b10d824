package io.astaire.dataplane.edge;

import io.astaire.dataplane.agent.Agent;
import io.astaire.dataplane.classify.Classifier;
import io.astaire.dataplane.classify.RuleHits;
import io.astaire.dataplane.classify.RuleTable;
import io.astaire.dataplane.counters.DropReason;
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
import io.astaire.wire.VxlanGpeHeader;
import io.astaire.wire.WireError;
import io.astaire.wire.offload.GsoSplitter;
import io.astaire.wire.offload.OffloadError;
import io.astaire.wire.offload.VirtioNetHeader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * One TUN queue's worker: reads up to a batch of IP packets straight into the slots of a
 * {@link PacketBatch} (each at the slot's headroom), classifies each to an SPI, writes VXLAN-GPE
 * and NSH MD1 (SI 255, TTL 63) into the headroom in front of it, picks the path's first hop for
 * the flow, and sends the whole batch with one system call. Nothing is copied or allocated per
 * packet. Runs under an {@link io.astaire.dataplane.agent.AgentRunner} whose idle strategy
 * ({@link #idle}) polls the TUN descriptor with a timeout, so the runner notices a stop.
 *
 * <p>On a device with a virtio_net_hdr a read may return a TCP/UDP super-packet of up to 64 KB.
 * It lands in a staging buffer and is cut ({@link GsoSplitter}) into ordinary IP packets, one per
 * slot; the flow is classified once per read, as all segments share it, and a batch that fills
 * up is sent before the cutting goes on. Each segment leaves as a normal NSH datagram.
 */
final class TunToNetworkWorker implements Agent {
    static final int TTL = 63;
    private static final int POLL_MILLIS = 100;
    private static final long ERROR_DRAIN_NANOS = 200_000_000L;
    /** virtio_net_hdr + the largest IP packet. */
    static final int STAGING_CAPACITY = VirtioNetHeader.LENGTH + 65535;

    private final TunIo tun;
    private final DatagramTransport transport;
    private final PacketBatch batch;
    private final int[] slotSpi;
    private final int readCapacity;
    private final Supplier<EdgeTables> tables;
    private final Classifier classifier;
    /** This worker's stripe of the tables' {@link RuleHits}. */
    private final int stripe;
    /** The hit counters of the tables this worker classifies with (written with release: see {@link #hitsGenerationInUse()}). */
    private RuleHits hitsInUse;
    private final String name;
    private final EdgeWorkerCounts counters;
    private final DatagramTransport.UnreachableListener unreachable;
    private final InnerPacket inner = new InnerPacket();
    private final FlowKey flow = new FlowKey();
    /** Null on a device without a virtio_net_hdr: packets are read straight into the slots. */
    private final GsoSplitter splitter;
    private final ByteBuffer staging;
    private final long stagingAddress;
    // What the last classification chose, for every segment of the same read.
    private int currentSpi;
    /** The generation of the path last classified to, stamped in NSH context word 3 (see docs/wire.md). */
    private int currentGeneration;
    private Endpoint currentNext;
    private int currentFlowHash;
    private int currentNextProtocol;
    private volatile int lastReadError;
    /** The last turn's read failed with nothing read: the device reports an error, and poll would return at once. */
    private boolean readFailing;
    private long nextErrorDrain;

    private static final VarHandle HITS_IN_USE;

    static {
        try {
            HITS_IN_USE = MethodHandles.lookup().findVarHandle(TunToNetworkWorker.class, "hitsInUse", RuleHits.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * @param name the worker's thread name, for logs and /readyz
     * @param vnetHeader the device puts a virtio_net_hdr in front of every packet it hands over
     * @param stripe which stripe of the tables' rule hit counters this worker counts in
     */
    TunToNetworkWorker(String name, TunIo tun, boolean vnetHeader, DatagramTransport transport, PacketBatch batch,
                       Supplier<EdgeTables> tables, Classifier classifier, int stripe, EdgeWorkerCounts counters,
                       DatagramTransport.UnreachableListener unreachable) {
        if (batch.headroom() < GpeNshPacket.HEADROOM_MD1) {
            throw new IllegalArgumentException("batch headroom " + batch.headroom() + " < " + GpeNshPacket.HEADROOM_MD1);
        }
        this.name = name;
        this.tun = tun;
        this.transport = transport;
        this.batch = batch;
        this.tables = tables;
        this.classifier = classifier;
        this.stripe = stripe;
        this.counters = counters;
        this.unreachable = unreachable;
        this.slotSpi = new int[batch.capacity()];
        this.readCapacity = batch.maxDatagram() - GpeNshPacket.HEADROOM_MD1;
        if (vnetHeader) {
            MemorySegment stagingMemory = Arena.ofAuto().allocate(STAGING_CAPACITY, 64);
            this.splitter = new GsoSplitter();
            this.staging = stagingMemory.asByteBuffer().order(ByteOrder.BIG_ENDIAN);
            this.stagingAddress = stagingMemory.address();
        } else {
            this.splitter = null;
            this.staging = null;
            this.stagingAddress = 0;
        }
    }

    @Override
    public String roleName() {
        return name;
    }

    /**
     * Reads, classifies, encapsulates and sends one batch, and now and then drains the socket's
     * error queue; returns the reads made (0 when nothing was waiting, or the read failed).
     */
    @Override
    public int doWork() {
        EdgeTables t = tables.get(); // once per batch: forwarding and rules of one version
        if (t.hits() != hitsInUse) {
            HITS_IN_USE.setRelease(this, t.hits()); // after every count made in the previous ones
        }
        int reads = splitter == null ? readPackets(t) : readSuperPackets(t);
        readFailing = reads < 0;
        long now = System.nanoTime();
        if (now - nextErrorDrain > 0) {
            nextErrorDrain = now + ERROR_DRAIN_NANOS;
            drainErrors();
        }
        return Math.max(reads, 0);
    }

    /**
     * The idle strategy of this worker's runner: after a turn with nothing to read, wait until the
     * device is readable (bounded, so a stop is noticed); after a failed read (the device deleted
     * under us: EBADFD, where poll returns at once) pause instead of spinning.
     */
    void idle(int workCount) {
        if (workCount > 0) {
            return;
        }
        if (readFailing) {
            LockSupport.parkNanos(POLL_MILLIS * 1_000_000L);
        } else {
            tun.awaitReadable(POLL_MILLIS);
        }
    }

    /** A device without a virtio_net_hdr: each read is one packet, read straight into its slot. */
    private int readPackets(EdgeTables t) {
        int headroom = batch.headroom();
        int n = 0;
        int read = 0;
        while (n < batch.capacity()) {
            int length = tun.read(batch.address(n) + headroom, readCapacity);
            if (length <= 0) {
                if (length < 0 && readFailed(-length, read)) {
                    return -1;
                }
                break; // nothing more waiting
            }
            read++;
            counters.add(EdgeWorkerCounts.TUN_READ, 1);
            if (classify(t, n, headroom, length, 1)) {
                encapsulate(n, headroom, length);
                n++;
            }
        }
        if (n > 0) {
            send(n);
        }
        return read;
    }

    /**
     * A device with a virtio_net_hdr: each read lands in the staging buffer and is cut into slots.
     * At most a batch of reads per call, as full batches go out while cutting: the loop comes back
     * for new tables and the error queue however busy the device is.
     */
    private int readSuperPackets(EdgeTables t) {
        int n = 0;
        int read = 0;
        while (n < batch.capacity() && read < batch.capacity()) {
            int length = tun.read(stagingAddress, STAGING_CAPACITY);
            if (length <= 0) {
                if (length < 0 && readFailed(-length, read)) {
                    return -1;
                }
                break;
            }
            read++;
            counters.add(EdgeWorkerCounts.TUN_READ, 1);
            n = cut(t, n, length);
        }
        flush(n);
        return read;
    }

    /** Counts a failed read; true when nothing was read before it, so the caller reports the error. */
    private boolean readFailed(int errno, int readBefore) {
        readError(errno);
        return readBefore == 0;
    }

    /**
     * Cuts what one read left in the staging buffer ({@code readLength} bytes: virtio_net_hdr, then
     * the packet) into IP packets in the slots from {@code n} on, classified and encapsulated;
     * sends the batch whenever it fills up. A read whose header and packet do not add up is dropped
     * and counted by what is wrong.
     *
     * @return the slots in use afterwards
     */
    int cut(EdgeTables t, int n, int readLength) {
        if (readLength < VirtioNetHeader.LENGTH) {
            counters.offloadDrop(OffloadError.TRUNCATED);
            return n;
        }
        int segments = splitter.prepare(staging, 0, readLength - VirtioNetHeader.LENGTH);
        if (segments < 0) {
            counters.offloadDrop(splitter.error());
            return n;
        }
        if (splitter.maxSegmentLength() > readCapacity) {
            counters.offloadDrop(OffloadError.NO_ROOM); // a segment would not fit the underlay once wrapped
            return n;
        }
        counters.add(EdgeWorkerCounts.TUN_SEGMENTS, segments);
        if (segments > 1) {
            counters.add(EdgeWorkerCounts.TUN_READ_GSO, 1);
        }
        int headroom = batch.headroom();
        for (int k = 0; k < segments; k++) {
            if (n == batch.capacity()) {
                flush(n);
                n = 0;
            }
            int length = splitter.writeSegment(k, batch.buffer(n), headroom);
            if (length < 0) {
                counters.offloadDrop(splitter.error());
                return n;
            }
            if (k == 0 && !classify(t, n, headroom, length, segments)) {
                return n; // every segment has the first one's flow: all of them go
            }
            encapsulate(n, headroom, length);
            n++;
        }
        return n;
    }

    /** Sends the first {@code n} slots, if any. */
    void flush(int n) {
        if (n > 0) {
            send(n);
        }
    }

    /** The buffer a vnet-header read lands in (virtio_net_hdr at 0); for tests that feed {@link #cut} directly. */
    ByteBuffer staging() {
        return staging;
    }

    /**
     * Checks the packet in slot {@code n}, classifies its flow and picks the path's first hop,
     * remembering the choice for {@link #encapsulate}; false when the packet is dropped. Counts
     * {@code packets} (the segments of a super-packet share its flow) on the rule that matched.
     */
    private boolean classify(EdgeTables t, int n, int headroom, int length, int packets) {
        ByteBuffer buf = batch.buffer(n);
        WireError error = inner.wrap(buf, headroom, length);
        if (error != WireError.OK) {
            counters.tunMalformed(error);
            return false;
        }
        flow.from(inner);
        int rule = classifier.match(t.rules(), flow);
        t.hits().add(stripe, rule, packets);
        int spi = t.rules().spiOf(rule);
        if (spi == RuleTable.NO_MATCH) {
            counters.drop(DropReason.NO_MATCH);
            return false;
        }
        Route<Object> route = t.forwarding().route(spi, ServicePath.INITIAL_SI);
        int hash = flow.symmetricHash();
        Endpoint next = route == null || route.next() == null ? null : route.next().select(hash);
        if (next == null) {
            counters.drop(DropReason.NO_ROUTE);
            return false;
        }
        currentSpi = spi;
        currentGeneration = route.generation();
        currentNext = next;
        currentFlowHash = hash;
        currentNextProtocol = inner.version() == 4 ? NshHeader.NEXT_PROTOCOL_IPV4 : NshHeader.NEXT_PROTOCOL_IPV6;
        return true;
    }

    /** Writes VXLAN-GPE + NSH in front of the packet in slot {@code n}, for the flow last classified. */
    private void encapsulate(int n, int headroom, int length) {
        ByteBuffer buf = batch.buffer(n);
        int start = GpeNshPacket.encapsulateMd1(buf, headroom, length, currentSpi, ServicePath.INITIAL_SI, TTL, currentNextProtocol);
        buf.putInt(start + VxlanGpeHeader.LENGTH + NshHeader.BASE_LENGTH + 4 * NshHeader.PATH_GENERATION_WORD, currentGeneration);
        batch.offset(n, start).length(n, length + GpeNshPacket.HEADROOM_MD1).destination(n, currentNext)
                .flowHash(n, currentFlowHash);
        slotSpi[n] = currentSpi;
    }

    private void send(int n) {
        batch.size(n);
        transport.send(batch);
        for (int i = 0; i < n; i++) {
            if (batch.sent(i)) {
                counters.sent(slotSpi[i], batch.length(i));
            } else {
                counters.drop(DropReason.SEND_FAILED);
            }
        }
    }

    private void readError(int errno) {
        counters.add(EdgeWorkerCounts.TUN_READ_ERRORS, 1);
        lastReadError = errno;
    }

    /**
     * The generation of the rule hit counters this worker counts in (0 before its first turn): it
     * never counts in an older one again, and every count it made there is visible to a thread that
     * read this.
     */
    long hitsGenerationInUse() {
        RuleHits h = (RuleHits) HITS_IN_USE.getAcquire(this);
        return h == null ? 0 : h.generation();
    }

    /** The worker's flow cache: its hits and misses (new flows it looked up in the rules). */
    Classifier classifier() {
        return classifier;
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

}
