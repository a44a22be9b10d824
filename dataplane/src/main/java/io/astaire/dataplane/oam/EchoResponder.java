package io.astaire.dataplane.oam;

import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.dataplane.transport.PacketBatch;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Answers NSH OAM echo requests ({@link OamEcho}) for one worker, from the worker's own socket:
 * the node and the edges are what a resolver probes before it sends flows back to a replica.
 * Everything here is the rare path (a worker calls {@link #answer} only for datagrams with the
 * O bit set); a reply may allocate its destination. Answers are capped per second, so a flood of
 * requests costs the worker little and cannot be reflected at a high rate; OAM datagrams that are
 * not a well-formed request are refused and counted.
 */
public final class EchoResponder {

    /** At most this many replies per second per worker. */
    static final int MAX_REPLIES_PER_SECOND = 1000;

    private final PacketBatch reply = new PacketBatch(1, OamEcho.LENGTH, 0);
    private final PerSecondCap cap = new PerSecondCap(MAX_REPLIES_PER_SECOND);
    private volatile long answered;
    private volatile long refused;

    /**
     * Handles the OAM datagram at {@code offset}: a request is answered at once; anything else is
     * refused. The datagram's own slot is left alone (the caller drops it from its batch).
     *
     * @return true when a reply was sent
     */
    public boolean answer(DatagramTransport transport, ByteBuffer buffer, int offset, int length) {
        if (OamEcho.type(buffer, offset, length) != OamEcho.REQUEST || !cap.tryAcquire()) {
            refused++;
            return false;
        }
        InetSocketAddress to = OamEcho.replyTo(buffer, offset);
        if (to == null) {
            refused++;
            return false;
        }
        ByteBuffer out = reply.buffer(0);
        int at = reply.offset(0);
        for (int i = 0; i < OamEcho.LENGTH; i++) {
            out.put(at + i, buffer.get(offset + i));
        }
        OamEcho.toReply(out, at);
        reply.size(1).length(0, OamEcho.LENGTH).destination(0, Endpoint.of(to)).flowHash(0, 0);
        if (transport.send(reply) == 1) {
            answered++;
            return true;
        }
        refused++;
        return false;
    }

    /** Echo requests answered (written by the worker, read by anyone). */
    public long answered() {
        return answered;
    }

    /** OAM datagrams not answered: not a well-formed echo request, over the rate, or not sendable. */
    public long refused() {
        return refused;
    }
}
