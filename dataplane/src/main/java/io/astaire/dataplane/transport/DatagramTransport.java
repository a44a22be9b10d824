package io.astaire.dataplane.transport;

import java.net.InetSocketAddress;

/**
 * A bound UDP socket that moves datagrams in batches. One transport per worker thread: each
 * worker opens its own (with {@code SO_REUSEPORT} the kernel spreads flows across them), so no
 * transport is shared and none needs a lock on the packet path.
 *
 * <p>Implementations: {@link LinuxDatagramTransport} ({@code recvmmsg}/{@code sendmmsg} through
 * the FFM API; reports ICMP errors) and {@link NioDatagramTransport} (portable). Open one with
 * {@link DatagramTransports#open}.
 */
public interface DatagramTransport extends AutoCloseable {

    /** Where the socket is bound (the real port when bound to port 0). */
    InetSocketAddress localAddress();

    /**
     * Receives up to {@code batch.capacity()} datagrams into {@code batch}: waits up to the
     * receive timeout for the first one, then takes what is already queued without waiting.
     * Sets {@code batch.size()}, and each slot's offset (the headroom), length and truncation flag.
     * With GRO, each segment of a coalesced datagram is a slot of its own in a shared receive area
     * (see {@link PacketBatch}); segments that did not fit are delivered by the next call.
     *
     * @return the number received; 0 on timeout; -1 once the transport is closed
     */
    int receive(PacketBatch batch);

    /**
     * Sends every slot of {@code [0, batch.size())} that has a destination, in order (per flow,
     * when several source ports carry them). Sets {@link PacketBatch#sent(int)} of each slot.
     *
     * @return the number of slots handed to the kernel; the others failed (no route, too big,
     *     closed), wherever they are in the batch: see {@link PacketBatch#sent(int)}
     */
    int send(PacketBatch batch);

    /** Why the kernel last refused a datagram for good ({@code "Address family not supported... (errno 97)"}), or null. */
    default String lastSendError() {
        return null;
    }

    /** Whether sends put runs of equal datagrams into one GSO ({@code UDP_SEGMENT}) message now. */
    default boolean gsoInUse() {
        return false;
    }

    /** Whether receives take coalesced ({@code UDP_GRO}) datagrams and split them into slots. */
    default boolean groInUse() {
        return false;
    }

    /**
     * Reports destinations that answered with an ICMP unreachable since the last call (a replica
     * that went away). Rare path: may allocate. Transports that cannot learn this return 0.
     */
    int drainErrors(UnreachableListener listener);

    /** Whether {@link #drainErrors} can ever report anything. */
    boolean reportsUnreachable();

    boolean isOpen();

    /** Closes the socket; a thread blocked in {@link #receive} returns -1 promptly. Idempotent. */
    @Override
    void close();

    /** Told of a destination that is unreachable (ICMP port/host unreachable). */
    @FunctionalInterface
    interface UnreachableListener {
        void unreachable(InetSocketAddress destination, int errno);
    }
}
