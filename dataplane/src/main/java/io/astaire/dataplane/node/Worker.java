package io.astaire.dataplane.node;

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
 * One packet-processing thread with its own socket and buffers: receive a batch, for each
 * datagram decode, check TTL, look up the route, apply the local functions, pick the next hop,
 * rewrite SI and TTL in place; send the batch. Nothing here allocates, locks or logs per packet;
 * a packet that makes anything throw is dropped and counted and the loop goes on.
 */
final class Worker implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    private final int index;
    private final DatagramTransport transport;
    private final Supplier<NodeState> state;
    private final NodeCounters counters;
    private final LatencyHistogram latency;
    private final PacketBatch batch;
    private final GpeNshPacket packet = new GpeNshPacket();
    private final PacketContext context = new PacketContext();
    private final EchoResponder echo = new EchoResponder();
    private final DatagramTransport.UnreachableListener unreachable;
    private volatile boolean running = true;
    /** The table version this worker last started a batch with; lets updates know when an old table is unused. */
    private volatile long observedVersion = -1;
    private long internalErrorsLogged;

    Worker(int index, DatagramTransport transport, Supplier<NodeState> state, NodeCounters counters,
           LatencyHistogram latency, PacketBatch batch, HopResolver resolver) {
        this.index = index;
        this.transport = transport;
        this.state = state;
        this.counters = counters;
        this.latency = latency;
        this.batch = batch;
        this.unreachable = (destination, errno) -> {
            if (errno == Libc.ECONNREFUSED || errno == Libc.EHOSTUNREACH) {
                resolver.markUnreachable(destination);
            }
        };
    }

    @Override
    public void run() {
        while (running) {
            int n;
            try {
                n = transport.receive(batch);
            } catch (RuntimeException e) {
                if (!running) {
                    break;
                }
                LOG.warn("worker {}: receive failed: {}", index, e.getMessage());
                continue;
            }
            if (n < 0) {
                break;
            }
            NodeState s = state.get();
            observedVersion = s.version();
            if (n > 0) {
                long start = System.nanoTime();
                int toSend = 0;
                for (int i = 0; i < n; i++) {
                    try {
                        if (process(s, i)) {
                            toSend++;
                        } else {
                            batch.destination(i, null);
                        }
                    } catch (Throwable t) {
                        batch.destination(i, null);
                        counters.add(index, NodeCounters.reason(DropReason.INTERNAL_ERROR), 1);
                        logInternalError(t);
                    }
                }
                if (toSend > 0) {
                    int sent = transport.send(batch);
                    if (sent < toSend) {
                        counters.add(index, NodeCounters.reason(DropReason.SEND_FAILED), toSend - sent);
                    }
                    latency.record(index, System.nanoTime() - start, sent);
                }
            }
            transport.drainErrors(unreachable);
        }
    }

    /** Processes slot {@code i} in place; true when it is to be sent (destination set). */
    private boolean process(NodeState s, int i) {
        int w = index;
        ByteBuffer buf = batch.buffer(i);
        int offset = batch.offset(i);
        int length = batch.length(i);
        counters.add(w, NodeCounters.DATAGRAMS, 1);
        counters.add(w, NodeCounters.BYTES, length);
        if (batch.truncated(i)) {
            counters.add(w, NodeCounters.TRUNCATED, 1);
            return false;
        }
        if (OamEcho.isOam(buf, offset, length)) {
            echo.answer(transport, buf, offset, length); // the rare path: an NSH OAM echo (docs/node.md)
            return false;
        }
        WireError error = packet.wrap(buf, offset, length);
        if (error != WireError.OK) {
            counters.add(w, NodeCounters.malformed(error), 1);
            return false;
        }
        NshHeader nsh = packet.nsh();
        int ttl = nsh.ttl();
        if (ttl <= 1) {
            counters.add(w, NodeCounters.reason(DropReason.TTL_EXPIRED), 1);
            return false;
        }
        int si = nsh.si();
        Route<LocalFunction> route = s.table.route(nsh.spi(), si);
        LocalFunction[] functions = route == null ? null : route.functions();
        if (functions == null || functions.length == 0 || si < functions.length) {
            counters.add(w, NodeCounters.reason(DropReason.UNKNOWN_PATH), 1);
            return false;
        }
        PathStats stats = route.pathIndex() >= 0 ? s.pathStats[route.pathIndex()] : s.staticStats;
        int statsBase = w * Counters.STRIDE;
        Counters.add(stats.counters, statsBase + PathStats.PACKETS_IN, 1);
        Counters.add(stats.counters, statsBase + PathStats.BYTES_IN, length);

        int innerOffset = packet.innerOffset();
        int innerCapacity = offset + batch.room(i) - innerOffset;
        context.reset(buf, offset + VxlanGpeHeader.LENGTH, innerOffset, packet.innerLength(), innerCapacity);
        WireError innerError = context.innerError();
        if (innerError != WireError.OK) {
            counters.add(w, NodeCounters.malformed(innerError), 1);
            return false;
        }
        int functionBase = w * Counters.STRIDE;
        for (LocalFunction f : functions) {
            Verdict verdict = f.function().process(context);
            Counters.add(f.counters, functionBase + LocalFunction.PROCESSED, 1);
            if (verdict != Verdict.FORWARD) {
                Counters.add(f.counters, functionBase + LocalFunction.DROPPED, 1);
                counters.add(w, NodeCounters.reason(DropReason.FUNCTION_VERDICT), 1);
                return false;
            }
            context.functionForwarded(); // SI - 1; undoes what the function wrote into SPI, SI, TTL, MD1 word 3
        }
        ReplicaSet replicas = route.next().replicas();
        int flowHash = context.flow().symmetricHash();
        Endpoint next = replicas.needsFlowHash() ? replicas.select(flowHash) : replicas.first();
        if (next == null) {
            counters.add(w, NodeCounters.reason(DropReason.NO_NEXT_HOP), 1);
            return false;
        }
        nsh.ttl(ttl - 1);
        int newLength = innerOffset - offset + context.innerLength();
        batch.length(i, newLength).destination(i, next).flowHash(i, flowHash);
        Counters.add(stats.counters, statsBase + PathStats.PACKETS_OUT, 1);
        Counters.add(stats.counters, statsBase + PathStats.BYTES_OUT, newLength);
        return true;
    }

    private void logInternalError(Throwable t) {
        // Rate-limited by count: the first few with a stack trace, then one line every 10 000.
        long n = ++internalErrorsLogged;
        if (n <= 3) {
            LOG.error("worker {}: packet dropped after an internal error (counted as internal_error)", index, t);
        } else if (n % 10_000 == 0) {
            LOG.error("worker {}: {} packets dropped after internal errors; last: {}", index, n, t.toString());
        }
    }

    long observedVersion() {
        return observedVersion;
    }

    int index() {
        return index;
    }

    void stop() {
        running = false;
    }

    DatagramTransport transport() {
        return transport;
    }
}
