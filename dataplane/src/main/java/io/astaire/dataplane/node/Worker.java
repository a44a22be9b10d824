package io.astaire.dataplane.node;

import io.astaire.dataplane.agent.Agent;
import io.astaire.dataplane.counters.CounterStripe;
import io.astaire.dataplane.counters.DropReason;
import io.astaire.dataplane.forward.Route;
import io.astaire.dataplane.oam.EchoResponder;
import io.astaire.dataplane.oam.OamEcho;
import io.astaire.dataplane.oam.OamTrace;
import io.astaire.dataplane.oam.TraceHop;
import io.astaire.dataplane.oam.TraceReporter;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.resolve.ReplicaSet;
import io.astaire.dataplane.sys.Libc;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.function.PacketContext;
import io.astaire.function.Verdict;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.VxlanGpeHeader;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One packet-processing agent with its own socket and buffers: receive a batch, for each
 * datagram decode, check TTL, look up the route, apply the local functions, pick the next hop,
 * rewrite SI and TTL in place; send the batch. Nothing here allocates, locks or logs per packet;
 * a packet that makes a function (or the node) throw an exception is dropped and counted as
 * {@code internal_error} and the batch goes on. An {@link Error} is not a packet's fault: it
 * leaves {@link #doWork()} and the {@link io.astaire.dataplane.agent.AgentRunner} ends the
 * worker loudly. The worker blocks in its receive (with the transport's timeout), so its runner
 * needs no idle strategy.
 */
final class Worker implements Agent {

    /** {@link #usingVersion()} while the worker holds no state (between batches, blocked in receive). */
    static final long IDLE = Long.MAX_VALUE;
    /** {@link #usingVersion()} between "about to read the state" and knowing which version it read. */
    private static final long READING = Long.MIN_VALUE;

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    private final int index;
    private final DatagramTransport transport;
    private final Supplier<NodeState> state;
    private final CounterStripe counters;
    private final LatencyHistogram latency;
    private final PacketBatch batch;
    private final GpeNshPacket packet = new GpeNshPacket();
    private final PacketContext context = new PacketContext();
    private final EchoResponder echo = new EchoResponder();
    private final TraceReporter tracer;
    /** The slot of the batch that holds an admitted trace probe, -1 when none (at most one: see {@link #admitProbe}). */
    private int probeSlot = -1;
    // What became of the probe, taken right after its slot was processed: the fields below it are
    // any later packet's by the time the batch has been sent and the probe is reported.
    private boolean probeForwarded;
    private String probeDrop;
    private String probeDroppedBy;
    private String probeDetail;
    // Why the packet in hand was dropped and by which function, and whether its functions ran.
    private String dropLabel;
    private LocalFunction droppedBy;
    private boolean functionsRan;
    private final DatagramTransport.UnreachableListener unreachable;
    /**
     * The version of the state this worker is processing a batch with, {@link #IDLE} between
     * batches: the conductor stops what an old version used only once no worker is on it.
     */
    private volatile long usingVersion = IDLE;
    private long internalErrorsLogged;

    Worker(int index, DatagramTransport transport, Supplier<NodeState> state, CounterStripe counters,
           LatencyHistogram latency, PacketBatch batch, HopResolver resolver, TraceReporter tracer) {
        this.index = index;
        this.tracer = tracer;
        this.transport = transport;
        this.state = state;
        this.counters = counters;
        this.latency = latency;
        this.batch = batch;
        this.unreachable = (destination, errno) -> {
            if (resolver != null && (errno == Libc.ECONNREFUSED || errno == Libc.EHOSTUNREACH)) {
                resolver.markUnreachable(destination);
            }
        };
    }

    @Override
    public String roleName() {
        return "astaire-sf-worker-" + index;
    }

    /** Receives one batch (waiting up to the receive timeout), processes and sends it; the datagrams received. */
    @Override
    public int doWork() {
        int n = transport.receive(batch);
        if (n < 0) {
            return DONE;
        }
        if (n > 0) {
            // Announce before reading: a conductor that sees READING waits, so it never frees
            // what this batch may use (volatile store, then volatile load: sequentially consistent).
            usingVersion = READING;
            try {
                NodeState s = state.get();
                usingVersion = s.version();
                forward(s, n);
            } finally {
                usingVersion = IDLE;
            }
        }
        transport.drainErrors(unreachable);
        return n;
    }

    private void forward(NodeState s, int n) {
        long start = System.nanoTime();
        int toSend = 0;
        for (int i = 0; i < n; i++) {
            boolean send;
            try {
                send = process(s, i);
            } catch (RuntimeException e) {
                send = false;
                counters.add(NodeCounts.reason(DropReason.INTERNAL_ERROR), 1);
                logInternalError(e);
            }
            if (probeSlot == i) {
                probeForwarded = send;
                probeDrop = send ? null : dropLabel == null ? DropReason.INTERNAL_ERROR.label() : dropLabel;
                probeDroppedBy = send || droppedBy == null ? null : droppedBy.name();
                probeDetail = functionsRan ? context.explanation() : null;
            }
            if (send) {
                toSend++;
            } else {
                batch.destination(i, null);
            }
        }
        if (toSend > 0) {
            int sent = transport.send(batch);
            if (sent < toSend) {
                counters.add(NodeCounts.reason(DropReason.SEND_FAILED), toSend - sent);
            }
            latency.record(index, System.nanoTime() - start, sent);
        }
        if (probeSlot >= 0) {
            try {
                reportProbe(s, probeSlot); // after the send: the report's cost is not the next hop's latency
            } catch (RuntimeException e) {
                probeSlot = -1;
                tracer.refuse();
                logInternalError(e);
            }
        }
    }

    /** Processes slot {@code i} in place; true when it is to be sent (destination set). */
    private boolean process(NodeState s, int i) {
        int w = index;
        ByteBuffer buf = batch.buffer(i);
        int offset = batch.offset(i);
        int length = batch.length(i);
        counters.add(NodeCounts.DATAGRAMS, 1);
        counters.add(NodeCounts.BYTES, length);
        functionsRan = false;
        if (batch.truncated(i)) {
            counters.add(NodeCounts.TRUNCATED, 1);
            return false;
        }
        if (OamEcho.isOam(buf, offset, length) && !admitProbe(i, buf, offset, length)) {
            return false; // an echo (answered), or a probe refused
        }
        WireError error = packet.wrap(buf, offset, length);
        if (error != WireError.OK) {
            return malformed(error);
        }
        NshHeader nsh = packet.nsh();
        int ttl = nsh.ttl();
        if (ttl <= 1) {
            return drop(DropReason.TTL_EXPIRED);
        }
        int si = nsh.si();
        int generation = nsh.pathGeneration(); // read before the functions: they own context words 0-2 only
        Route<LocalFunction> route = s.table.route(nsh.spi(), si, generation);
        LocalFunction[] functions = route == null ? null : route.functions();
        if (functions == null || functions.length == 0 || si < functions.length) {
            return drop(DropReason.UNKNOWN_PATH);
        }
        PathStats stats = route.pathIndex() >= 0 ? s.pathStats[route.pathIndex()] : s.staticStats;
        CounterStripe path = stats.counters.stripe(w);
        path.add(PathStats.PACKETS_IN, 1);
        path.add(PathStats.BYTES_IN, length);

        int innerOffset = packet.innerOffset();
        int innerCapacity = offset + batch.room(i) - innerOffset;
        context.reset(buf, offset + VxlanGpeHeader.LENGTH, innerOffset, packet.innerLength(), innerCapacity);
        WireError innerError = context.innerError();
        if (innerError != WireError.OK) {
            return malformed(innerError);
        }
        functionsRan = true;
        for (LocalFunction f : functions) {
            Verdict verdict = f.function().process(context);
            CounterStripe fc = f.counters.stripe(w);
            fc.add(LocalFunction.PROCESSED, 1);
            if (verdict != Verdict.FORWARD) {
                fc.add(LocalFunction.DROPPED, 1);
                droppedBy = f;
                return drop(DropReason.FUNCTION_VERDICT);
            }
            context.functionForwarded(); // SI - 1; undoes what the function wrote into SPI, SI, TTL, MD1 word 3
        }
        ReplicaSet replicas = route.next().replicas();
        int flowHash = context.flow().symmetricHash();
        // The last hop with several addresses (sidecar edges, one per pod): the one the packet is for.
        Endpoint next = route.nextIsEndpoint() ? replicas.addressedTo(context.flow()) : null;
        if (next == null) {
            next = replicas.needsFlowHash() ? replicas.select(flowHash) : replicas.first();
        }
        if (next == null) {
            return drop(DropReason.NO_NEXT_HOP);
        }
        nsh.ttl(ttl - 1);
        nsh.pathGeneration(route.generation() != 0 ? route.generation() : generation);
        int newLength = innerOffset - offset + context.innerLength();
        batch.length(i, newLength).destination(i, next).flowHash(i, flowHash);
        path.add(PathStats.PACKETS_OUT, 1);
        path.add(PathStats.BYTES_OUT, newLength);
        return true;
    }

    private boolean drop(DropReason reason) {
        counters.add(NodeCounts.reason(reason), 1);
        dropLabel = reason.label();
        return false;
    }

    private boolean malformed(WireError error) {
        counters.add(NodeCounts.malformed(error), 1);
        dropLabel = error.label();
        return false;
    }

    /**
     * The rare path of a datagram with the NSH O bit: an echo is answered (false); a trace probe is
     * admitted (true: it goes through the functions like any packet, and {@link #reportProbe} says
     * what became of it) or refused over the rate (false, counted by the tracer). One probe per
     * batch: a second one in the same batch is refused, which the rate cap makes rare.
     */
    private boolean admitProbe(int slot, ByteBuffer buf, int offset, int length) {
        if (!OamTrace.isProbe(packet, buf, offset, length)) {
            echo.answer(transport, buf, offset, length); // an NSH OAM echo (docs/node.md)
            return false;
        }
        if (probeSlot >= 0) {
            tracer.refuse();
            return false;
        }
        if (!tracer.admit(buf, offset + VxlanGpeHeader.LENGTH)) {
            return false;
        }
        probeSlot = slot;
        dropLabel = null;
        droppedBy = null;
        return true;
    }

    /** Tells the trace's collector what this node did with the probe in {@code slot}. */
    private void reportProbe(NodeState s, int slot) {
        probeSlot = -1;
        ByteBuffer buf = batch.buffer(slot);
        int nsh = batch.offset(slot) + VxlanGpeHeader.LENGTH;
        int spi = buf.getInt(nsh + 4) >>> 8;
        Route<LocalFunction> route = s.table.route(spi, tracer.siIn(), 0);
        List<String> names = new ArrayList<>();
        if (route != null && route.functions() != null) {
            for (LocalFunction f : route.functions()) {
                names.add(f.name());
            }
        }
        if (probeForwarded) {
            int siOut = buf.get(nsh + 7) & 0xFF;
            int ttlOut = (buf.getShort(nsh) >> 6) & 0x3F;
            tracer.report(transport, names, spi, tracer.siIn(), siOut, tracer.ttlIn(), ttlOut, TraceHop.FORWARDED,
                    null, null, probeDetail, batch.destination(slot));
        } else {
            tracer.report(transport, names, spi, tracer.siIn(), null, tracer.ttlIn(), null, TraceHop.DROPPED,
                    probeDrop, probeDroppedBy, probeDetail, null);
        }
    }

    private void logInternalError(RuntimeException t) {
        // Rate-limited by count: the first few with a stack trace, then one line every 10 000.
        long n = ++internalErrorsLogged;
        if (n <= 3) {
            LOG.error("worker {}: packet dropped after an internal error (counted as internal_error)", index, t);
        } else if (n % 10_000 == 0) {
            LOG.error("worker {}: {} packets dropped after internal errors; last: {}", index, n, t.toString());
        }
    }

    /** See {@link #IDLE}; read by the conductor. */
    long usingVersion() {
        return usingVersion;
    }

    int index() {
        return index;
    }

    /** This worker's part in tracing (its counts are on /metrics). */
    TraceReporter tracer() {
        return tracer;
    }

    /** The OAM echo responder of this worker (its answered and refused counts are on /metrics). */
    EchoResponder echo() {
        return echo;
    }

    DatagramTransport transport() {
        return transport;
    }
}
