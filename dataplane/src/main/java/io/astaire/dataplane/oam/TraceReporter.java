package io.astaire.dataplane.oam;

import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.dataplane.transport.PacketBatch;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One worker's part in tracing: admits trace probes ({@link OamTrace}) at a bounded rate, remembers
 * what the probe in hand carried when it arrived (trace id, reply-to, SI, TTL, the time), and sends
 * the node's {@link TraceReport} to the collector from the worker's own socket. All of it is the
 * rare path (only datagrams with the NSH O bit come here) and may allocate.
 *
 * <p>The cap ({@value #MAX_PROBES_PER_SECOND} probes a second per worker) bounds what a flood of
 * probes costs a worker and what it can make a node send to a reply-to address that is not the
 * sender's: one report of at most {@value TraceReport#MAX_BYTES} bytes per admitted probe.
 */
public final class TraceReporter {

    static final int MAX_PROBES_PER_SECOND = 20;

    private final String role;
    private final String node;
    private final Supplier<String> address;
    private final PacketBatch out = new PacketBatch(1, TraceReport.MAX_BYTES, 0);
    private final PerSecondCap cap = new PerSecondCap(MAX_PROBES_PER_SECOND);
    private volatile long reported;
    private volatile long rateLimited;
    private volatile long refused;

    // The probe in hand, from admit() to report().
    private long traceId;
    private InetSocketAddress replyTo;
    private boolean reverse;
    private long atMicros;
    private int siIn;
    private int ttlIn;

    /**
     * @param role {@code ingress}, {@code sf} or {@code egress}
     * @param node the node's name, or null when it has none
     * @param address the node's own NSH address, as reports show it
     */
    public TraceReporter(String role, String node, Supplier<String> address) {
        this.role = role;
        this.node = node;
        this.address = address;
    }

    /**
     * Takes the probe whose NSH starts at {@code nshOffset} in hand, or refuses it (counted): over
     * the rate, or a reply-to address no report may go to. The caller drops a refused probe.
     */
    public boolean admit(ByteBuffer buffer, int nshOffset) {
        if (!cap.tryAcquire()) {
            rateLimited++;
            return false;
        }
        InetSocketAddress to = OamTrace.replyTo(buffer, nshOffset);
        if (to == null) {
            refused++;
            return false;
        }
        Instant t = Instant.now();
        atMicros = t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
        replyTo = to;
        traceId = OamTrace.traceId(buffer, nshOffset);
        reverse = OamTrace.reverse(buffer, nshOffset);
        siIn = buffer.get(nshOffset + 7) & 0xFF;
        ttlIn = (buffer.getShort(nshOffset) >> 6) & 0x3F;
        return true;
    }

    /** A probe that was not a well-formed one (an O-bit datagram with a trace TLV that does not add up). */
    public void refuse() {
        refused++;
    }

    public String direction() {
        return reverse ? TraceHop.REVERSE : TraceHop.FORWARD;
    }

    public boolean reverse() {
        return reverse;
    }

    public int siIn() {
        return siIn;
    }

    public int ttlIn() {
        return ttlIn;
    }

    /**
     * Sends the report of the probe in hand: what the node did with it. {@code siIn}/{@code ttlIn}
     * are null where the probe did not arrive on a path (an edge classifying it).
     */
    public void report(DatagramTransport transport, List<String> functions, Integer spi, Integer siIn, Integer siOut,
                       Integer ttlIn, Integer ttlOut, String verdict, String reason, String droppedBy, String detail,
                       Endpoint next) {
        send(transport, direction(), functions, spi, siIn, siOut, ttlIn, ttlOut, verdict, reason, droppedBy, detail, next);
    }

    /** As {@link #report}, for the reverse leg an egress starts from the probe in hand. */
    public void reportReverseStart(DatagramTransport transport, int spi, int ttlOut, String verdict, String reason,
                                   String detail, Endpoint next) {
        boolean sent = TraceHop.CLASSIFIED.equals(verdict); // a probe that went nowhere has no SI or TTL out
        send(transport, TraceHop.REVERSE, List.of(), spi, null, sent ? 255 : null, null, sent ? ttlOut : null, verdict, reason,
                null, detail, next);
    }

    private void send(DatagramTransport transport, String direction, List<String> functions, Integer spi, Integer siIn,
                      Integer siOut, Integer ttlIn, Integer ttlOut, String verdict, String reason, String droppedBy,
                      String detail, Endpoint next) {
        TraceHop hop = new TraceHop(direction, node, role, functions, address.get(), spi, siIn, siOut, ttlIn, ttlOut,
                verdict, reason, droppedBy, detail, next == null ? null : next.toString(), atMicros, null);
        byte[] bytes = new TraceReport(TraceReport.id(traceId), hop).toBytes();
        if (bytes.length > TraceReport.MAX_BYTES) {
            refused++;
            return;
        }
        ByteBuffer b = out.buffer(0);
        int at = out.offset(0);
        b.put(at, bytes);
        out.size(1).length(0, bytes.length).destination(0, Endpoint.of(replyTo)).flowHash(0, 0);
        if (transport.send(out) == 1) {
            reported++;
        } else {
            refused++;
        }
    }

    /**
     * Registers {@code astaire_oam_trace_total{outcome}} over the given workers' reporters:
     * {@code reported}, {@code rate_limited}, {@code refused}.
     */
    public static <T> void bindMeters(MeterRegistry meters, Tags tags, T owner, Function<T, List<TraceReporter>> reporters) {
        // The meter holds the owner weakly (Micrometer's way): pass an object the node keeps, not a new lambda.
        for (String outcome : List.of("reported", "rate_limited", "refused")) {
            FunctionCounter.builder("astaire.oam.trace", owner, o -> reporters.apply(o).stream().mapToLong(r -> switch (outcome) {
                        case "reported" -> r.reported();
                        case "rate_limited" -> r.rateLimited();
                        default -> r.refused();
                    }).sum())
                    .description("Trace probes this node reported on, dropped over the rate cap, or refused (bad reply-to, malformed, not sendable)")
                    .tags(tags.and("outcome", outcome)).register(meters);
        }
    }

    /** How reports show a node bound to {@code local}: the address, or the host's name for a wildcard bind. */
    public static String addressOf(InetSocketAddress local) {
        if (local == null) {
            return null;
        }
        if (local.getAddress() == null || local.getAddress().isAnyLocalAddress()) {
            String host;
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "localhost";
            }
            return host + ":" + local.getPort();
        }
        return Endpoint.of(local).toString();
    }

    /** Probes this worker reported on (written by the worker, read by anyone). */
    public long reported() {
        return reported;
    }

    /** Probes dropped over the rate cap. */
    public long rateLimited() {
        return rateLimited;
    }

    /** Probes refused: a reply-to no report may go to, a malformed probe, a report that could not be sent. */
    public long refused() {
        return refused;
    }
}
