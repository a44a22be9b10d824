package io.astaire.dataplane.edge;

import io.astaire.dataplane.classify.RuleTable;
import io.astaire.dataplane.forward.Route;
import io.astaire.dataplane.oam.OamTrace;
import io.astaire.dataplane.oam.TraceFlow;
import io.astaire.dataplane.oam.TraceHop;
import io.astaire.dataplane.oam.TraceReporter;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.model.Protocol;
import io.astaire.model.ServicePath;
import io.astaire.wire.Checksums;
import io.astaire.wire.FlowKey;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.VxlanGpeHeader;
import io.astaire.wire.WireError;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * What an edge does with trace probes (docs/wire.md, "Trace probes"), on its network worker's rare
 * path. A probe with SPI 0 is a collector asking to be classified: the edge matches the inner
 * packet against its rules as it would real traffic and sends the probe into the chosen path. A
 * probe at the end of a path is never delivered to the TUN device: the edge reports it arrived
 * and, at the egress of a symmetric chain, turns it around (the inner packet becomes the reply a
 * server would send) and classifies it onto the reverse path, so the trace covers both directions.
 */
final class EdgeTrace {

    private final EdgeRole role;
    private final TraceReporter reporter;
    private final GpeNshPacket packet = new GpeNshPacket();
    private final InnerPacket inner = new InnerPacket();
    private final FlowKey flow = new FlowKey();
    private final PacketBatch out = new PacketBatch(1, OamTrace.MAX_LENGTH, 0);

    EdgeTrace(EdgeRole role, TraceReporter reporter) {
        this.role = role;
        this.reporter = reporter;
    }

    TraceReporter reporter() {
        return reporter;
    }

    /**
     * Handles the datagram with the O bit at {@code offset} if it is a trace probe; false when it is
     * not one (the caller treats it as an echo). A handled probe is never written to the TUN device.
     */
    boolean handle(EdgeTables t, DatagramTransport transport, ByteBuffer buf, int offset, int length) {
        if (!OamTrace.isProbe(packet, buf, offset, length)) {
            return false;
        }
        int nshOffset = offset + VxlanGpeHeader.LENGTH;
        if (!reporter.admit(buf, nshOffset)) {
            return true;
        }
        NshHeader nsh = packet.nsh();
        int spi = nsh.spi();
        boolean classifyMe = spi == OamTrace.CLASSIFY_ME;
        Integer siIn = classifyMe ? null : reporter.siIn();
        Integer ttlIn = classifyMe ? null : reporter.ttlIn();
        if (inner.wrap(buf, packet.innerOffset(), packet.innerLength(), nsh.nextProtocol()) != WireError.OK) {
            reporter.report(transport, List.of(), spi, siIn, null, ttlIn, null, TraceHop.DROPPED, "inner_malformed", null, null, null);
            return true;
        }
        if (classifyMe) {
            boolean egress = role == EdgeRole.EGRESS;
            if (egress) {
                OamTrace.markReverse(buf, nshOffset); // an egress classifies onto reverse paths
            }
            classifyAndSend(t, transport, buf, offset, length, egress, 0, null, null);
            return true;
        }
        Route<Object> route = t.forwarding().route(spi, nsh.si(), 0);
        if (route == null || !route.terminal()) {
            reporter.report(transport, List.of(), spi, siIn, null, ttlIn, null, TraceHop.DROPPED, "unknown_path", null, null, null);
            return true;
        }
        if (role == EdgeRole.EGRESS && !reporter.reverse()) {
            turnAround(buf, nshOffset);
            Endpoint back = classifyAndSend(t, transport, buf, offset, length, true, spi, siIn, ttlIn);
            if (back == null) {
                reporter.report(transport, List.of(), spi, siIn, null, ttlIn, null, TraceHop.ARRIVED, null, null,
                        "not delivered; no reverse path for its replies", null);
            }
            return true;
        }
        reporter.report(transport, List.of(), spi, siIn, null, ttlIn, null, TraceHop.ARRIVED, null, null, "not delivered", null);
        return true;
    }

    /**
     * Classifies the probe's inner packet with this edge's rules, writes the path's SPI, SI 255 and
     * TTL into its NSH and sends it to the path's first hop; reports what it did (a reverse start
     * when {@code reverseStart}: the egress turning a forward probe around). The first hop, or null
     * when the probe went nowhere. An egress turning a probe around reports its arrival (SPI, SI and
     * TTL it arrived with) before the probe goes back, so that report is never behind the reverse leg's.
     */
    private Endpoint classifyAndSend(EdgeTables t, DatagramTransport transport, ByteBuffer buf, int offset, int length,
                                     boolean reverseStart, int arrivedSpi, Integer arrivedSi, Integer arrivedTtl) {
        flow.from(inner);
        RuleTable rules = t.rules();
        int rule = rules.firstMatch(flow);
        int spi = rules.spiOf(rule);
        String detail = rule >= 0 ? "rule " + rules.ruleName(rule)
                : spi != RuleTable.NO_MATCH ? "default chain " + rules.defaultChain() : "no rule matches " + describe();
        if (spi == RuleTable.NO_MATCH) {
            if (arrivedSi == null) {
                classified(transport, reverseStart, null, TraceHop.DROPPED, "no_match", detail, null);
            } // else a one-way chain's egress: its replies are not classified, which is no drop (the caller says so)
            return null;
        }
        Route<Object> route = t.forwarding().route(spi, ServicePath.INITIAL_SI);
        int hash = flow.symmetricHash();
        Endpoint next = route == null || route.next() == null ? null : route.next().select(hash);
        if (next == null) {
            classified(transport, reverseStart, spi, TraceHop.DROPPED, "no_route", detail, null);
            return null;
        }
        if (arrivedSi != null) {
            reporter.report(transport, List.of(), arrivedSpi, arrivedSi, null, arrivedTtl, null, TraceHop.ARRIVED, null, null,
                    "not delivered; sent back on the reverse path", next);
        }
        NshHeader nsh = packet.nsh();
        nsh.spi(spi).si(ServicePath.INITIAL_SI).ttl(TunToNetworkWorker.TTL);
        ByteBuffer o = out.buffer(0);
        int at = out.offset(0);
        o.put(at, buf, offset, length);
        out.size(1).length(0, length).destination(0, next).flowHash(0, hash);
        if (transport.send(out) != 1) {
            classified(transport, reverseStart, spi, TraceHop.DROPPED, "send_failed", detail, null);
            return null;
        }
        classified(transport, reverseStart, spi, TraceHop.CLASSIFIED, null, detail, next);
        return next;
    }

    private void classified(DatagramTransport transport, boolean reverseStart, Integer spi, String verdict, String reason,
                            String detail, Endpoint next) {
        Integer siOut = TraceHop.CLASSIFIED.equals(verdict) ? ServicePath.INITIAL_SI : null;
        Integer ttlOut = siOut == null ? null : TunToNetworkWorker.TTL;
        if (reverseStart) {
            reporter.reportReverseStart(transport, spi == null ? 0 : spi, TunToNetworkWorker.TTL, verdict, reason, detail, next);
        } else {
            reporter.report(transport, List.of(), spi, null, siOut, null, ttlOut, verdict, reason, null, detail, next);
        }
    }

    /**
     * Makes the probe's inner packet the reply its server would send: addresses and ports swapped,
     * an echo request made an echo reply, checksums recomputed; the trace TLV marked reverse.
     */
    private void turnAround(ByteBuffer buf, int nshOffset) {
        int ip = inner.offset();
        if (inner.version() == 4) {
            swap(buf, ip + 12, ip + 16, 4);
        } else {
            swap(buf, ip + 8, ip + 24, 16);
        }
        if (inner.isTcp() || inner.isUdp()) {
            swap(buf, inner.l4Offset(), inner.l4Offset() + 2, 2);
        } else if (inner.isIcmpEcho()) {
            int type = buf.get(inner.l4Offset()) & 0xFF;
            if (type == 8 || type == 128) {
                buf.put(inner.l4Offset(), (byte) (type == 8 ? 0 : 129));
            }
        }
        inner.wrap(buf, ip, packet.innerLength(), packet.nsh().nextProtocol());
        Checksums.updateAll(buf, inner);
        OamTrace.markReverse(buf, nshOffset);
    }

    private static void swap(ByteBuffer buf, int a, int b, int n) {
        for (int i = 0; i < n; i++) {
            byte x = buf.get(a + i);
            buf.put(a + i, buf.get(b + i));
            buf.put(b + i, x);
        }
    }

    /** The flow as an operator writes it: {@code udp 10.1.0.2:40000 -> 10.2.0.2:53}. */
    private String describe() {
        byte[] source = new byte[inner.version() == 4 ? 4 : 16];
        byte[] destination = new byte[source.length];
        inner.copySourceAddress(source);
        inner.copyDestinationAddress(destination);
        boolean ports = inner.isTcp() || inner.isUdp();
        return new TraceFlow(Protocol.of(inner.protocol()).label(), address(source), ports ? inner.sourcePort() : null,
                address(destination), ports ? inner.destinationPort() : null).toString();
    }

    private static String address(byte[] bytes) {
        try {
            return io.netty.util.NetUtil.toAddressString(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes: never
        }
    }
}
