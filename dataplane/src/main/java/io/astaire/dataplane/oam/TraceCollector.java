package io.astaire.dataplane.oam;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs one trace: sends the probe to the ingress (SPI 0: "classify this"), listens for the nodes'
 * {@link TraceReport}s on a socket of its own until the probe's journey is over (dropped, arrived
 * where it ends) or the time is up, and hands the hops to {@link TraceAnalysis}. The request is
 * sent again (same trace id) when nothing at all has come back after a third of the time, in case
 * the first datagram was lost; repeated reports of one hop count once. Once the journey looks over
 * it listens 100 ms more, for reports overtaken by later ones.
 */
public final class TraceCollector {

    private static final SecureRandom IDS = new SecureRandom();
    private static final int RESENDS = 2;
    /** How long to listen on once the journey looks over: reports from different nodes may arrive in any order. */
    private static final long LINGER_NANOS = 100_000_000L;

    private TraceCollector() {}

    /**
     * @param ingress where the probe goes: the ingress's NSH address (resolved by the caller)
     * @throws IOException when the probe cannot be sent at all (no route to the ingress)
     */
    public static TraceResult run(TracePlan plan, InetSocketAddress ingress, Duration timeout) throws IOException {
        long traceId = IDS.nextLong();
        InetAddress from = sourceTowards(ingress);
        TraceFlow flow = plan.flow();
        byte[] inner = ProbePacket.build(plan.protocolNumber(), InetAddress.ofLiteral(flow.source()),
                flow.sourcePort() == null ? 0 : flow.sourcePort(), InetAddress.ofLiteral(flow.destination()),
                flow.destinationPort() == null ? 0 : flow.destinationPort(), (int) traceId);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(from, 0))) {
            InetSocketAddress replyTo = (InetSocketAddress) socket.getLocalSocketAddress();
            ByteBuffer request = ByteBuffer.allocate(OamTrace.HEADROOM + inner.length);
            request.put(OamTrace.HEADROOM, inner);
            int start = OamTrace.encapsulate(request, OamTrace.HEADROOM, inner.length, OamTrace.CLASSIFY_ME, 255, 63,
                    traceId, replyTo, false);
            DatagramPacket out = new DatagramPacket(request.array(), start, request.capacity() - start, ingress);
            String id = TraceReport.id(traceId);
            Map<String, TraceHop> hops = new LinkedHashMap<>();
            long begin = System.nanoTime();
            long deadline = begin + timeout.toNanos();
            long resendEvery = Math.max(1, timeout.toNanos() / (RESENDS + 1));
            long nextResend = begin + resendEvery;
            int resends = 0;
            socket.send(out);
            byte[] in = new byte[TraceReport.MAX_BYTES];
            DatagramPacket received = new DatagramPacket(in, in.length);
            long lingerUntil = Long.MAX_VALUE;
            while (true) {
                long now = System.nanoTime();
                if (lingerUntil == Long.MAX_VALUE && TraceAnalysis.complete(hops.values())) {
                    lingerUntil = now + LINGER_NANOS; // reports of other nodes may still be on their way
                }
                if (now >= Math.min(deadline, lingerUntil)) {
                    break;
                }
                if (hops.isEmpty() && resends < RESENDS && now >= nextResend) {
                    socket.send(out);
                    resends++;
                    nextResend = now + resendEvery;
                }
                long wait = Math.min(Math.min(deadline, lingerUntil), hops.isEmpty() && resends < RESENDS ? nextResend : deadline) - now;
                socket.setSoTimeout((int) Math.max(1, wait / 1_000_000L));
                try {
                    received.setLength(in.length);
                    socket.receive(received);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                TraceReport r = TraceReport.parse(in, received.getLength());
                if (r != null && r.trace().equals(id)) {
                    hops.putIfAbsent(TraceAnalysis.key(r.hop()), r.hop());
                }
            }
            return TraceAnalysis.result(id, plan, new ArrayList<>(hops.values()), ingress, timeout);
        }
    }

    /** The local address the kernel would send from to reach {@code target}: reports come back to it. */
    private static InetAddress sourceTowards(InetSocketAddress target) throws IOException {
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(target);
            InetAddress local = probe.getLocalAddress();
            if (local == null || local.isAnyLocalAddress()) {
                throw new IOException("no route to the ingress at " + target);
            }
            return local;
        }
    }
}
