package io.astaire.dataplane.node;

import io.astaire.dataplane.agent.Agent;
import io.astaire.dataplane.counters.CounterStripe;
import io.astaire.dataplane.counters.DropReason;
import io.astaire.dataplane.forward.Route;
import io.astaire.dataplane.oam.EchoResponder;
import io.astaire.dataplane.oam.OamEcho;
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
    private final DatagramTransport.UnreachableListener unreachable;
    /**
     * The version of the state this worker is processing a batch with, {@link #IDLE} between
     * batches: the conductor stops what an old version used only once no worker is on it.
     */
    private volatile long usingVersion = IDLE;
    private long internalErrorsLogged;

    Worker(int index, DatagramTransport transport, Supplier<NodeState> state, CounterStripe counters,
           LatencyHistogram latency, PacketBatch batch, HopResolver resolver) {
        this.index = index;
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
    }

    /** Processes slot {@code i} in place; true when it is to be sent (destination set). */
    private boolean process(NodeState s, int i) {
        int w = index;
        ByteBuffer buf = batch.buffer(i);
        int offset = batch.offset(i);
        int length = batch.length(i);
        counters.add(NodeCounts.DATAGRAMS, 1);
        counters.add(NodeCounts.BYTES, length);
        if (batch.truncated(i)) {
            counters.add(NodeCounts.TRUNCATED, 1);
            return false;
        }
        if (OamEcho.isOam(buf, offset, length)) {
            echo.answer(transport, buf, offset, length); // the rare path: an NSH OAM echo (docs/node.md)
            return false;
        }
        WireError error = packet.wrap(buf, offset, length);
        if (error != WireError.OK) {
            counters.add(NodeCounts.malformed(error), 1);
            return false;
        }
        NshHeader nsh = packet.nsh();
        int ttl = nsh.ttl();
        if (ttl <= 1) {
            counters.add(NodeCounts.reason(DropReason.TTL_EXPIRED), 1);
            return false;
        }
        int si = nsh.si();
        int generation = nsh.pathGeneration(); // read before the functions: they own context words 0-2 only
        Route<LocalFunction> route = s.table.route(nsh.spi(), si, generation);
        LocalFunction[] functions = route == null ? null : route.functions();
        if (functions == null || functions.length == 0 || si < functions.length) {
            counters.add(NodeCounts.reason(DropReason.UNKNOWN_PATH), 1);
            return false;
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
            counters.add(NodeCounts.malformed(innerError), 1);
            return false;
        }
        for (LocalFunction f : functions) {
            Verdict verdict = f.function().process(context);
            CounterStripe fc = f.counters.stripe(w);
            fc.add(LocalFunction.PROCESSED, 1);
            if (verdict != Verdict.FORWARD) {
                fc.add(LocalFunction.DROPPED, 1);
                counters.add(NodeCounts.reason(DropReason.FUNCTION_VERDICT), 1);
                return false;
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
            counters.add(NodeCounts.reason(DropReason.NO_NEXT_HOP), 1);
            return false;
        }
        nsh.ttl(ttl - 1);
        nsh.pathGeneration(route.generation() != 0 ? route.generation() : generation);
        int newLength = innerOffset - offset + context.innerLength();
        batch.length(i, newLength).destination(i, next).flowHash(i, flowHash);
        path.add(PathStats.PACKETS_OUT, 1);
        path.add(PathStats.BYTES_OUT, newLength);
        return true;
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

    /** The OAM echo responder of this worker (its answered and refused counts are on /metrics). */
    EchoResponder echo() {
        return echo;
    }

    DatagramTransport transport() {
        return transport;
    }
}
