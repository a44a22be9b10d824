package io.astaire.dataplane.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.function.Allocations;
import io.astaire.dataplane.testing.NetNs;
import io.astaire.dataplane.testing.Packets;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TUN reads (with a packet waiting and with none) and writes allocate nothing once warmed up:
 * the steady state calls libc without errno capture, which would allocate on every call.
 * Measured with the JVM's per-thread allocation counter over thousands of calls, in rounds until
 * the JIT has settled; a real per-call allocation shows in every round.
 */
@Timeout(120)
class TunIoAllocationTest {
    private static final int ROUNDS = 10;
    private static final int PACKETS_PER_ROUND = 200;
    private NetNs ns;

    @BeforeEach
    void namespace() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "this JVM does not count per-thread allocations");
        ns = NetNs.createForTun("astalloc", "TUN test");
    }

    @AfterEach
    void cleanup() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void readsAndWritesAllocateNothingPerCall() throws Exception {
        ns.call(() -> {
            try (TunDevice tun = TunDevice.openConfigured("tunal0", 1, 1400,
                    List.of(new TunDevice.InterfaceAddress(Packets.ip("10.79.0.1"), 24)));
                 TunIo io = tun.queue(0).newIo();
                 Arena arena = Arena.ofConfined();
                 DatagramSocket socket = new DatagramSocket(new InetSocketAddress("10.79.0.1", 0))) {
                MemorySegment buf = arena.allocate(65536, 64);
                long address = buf.address();
                // Forwarding is off in a fresh namespace: these are dropped, nothing comes back.
                byte[] echo = Packets.icmpEcho4("10.79.0.2", "10.79.0.3", 7, 1, new byte[32]);
                MemorySegment out = arena.allocateFrom(ValueLayout.JAVA_BYTE, echo);
                long outAddress = out.address();
                byte[] payload = new byte[100];
                DatagramPacket datagram = new DatagramPacket(payload, payload.length, new InetSocketAddress("10.79.0.99", 9));

                LongSupplier readWaiting = () -> {
                    for (int i = 0; i < PACKETS_PER_ROUND; i++) {
                        send(socket, datagram);
                    }
                    return Allocations.bytesAllocatedBy(() -> {
                        int got = 0;
                        while (got < PACKETS_PER_ROUND) {
                            if (io.read(address, 65536) > 0) {
                                got++;
                            }
                        }
                    });
                };
                LongSupplier readEmpty = () -> {
                    while (io.read(address, 65536) > 0) {
                        // drain what is left (IPv6 router solicitations, ...)
                    }
                    return Allocations.bytesAllocatedBy(() -> {
                        for (int i = 0; i < 5_000; i++) {
                            io.read(address, 65536);
                        }
                    });
                };
                LongSupplier write = () -> Allocations.bytesAllocatedBy(() -> {
                    for (int i = 0; i < 5_000; i++) {
                        if (io.write(outAddress, echo.length) != echo.length) {
                            throw new AssertionError("the kernel refused a valid packet");
                        }
                    }
                });
                assertThat(cleanRound(readWaiting)).as("bytes allocated reading %d waiting packets", PACKETS_PER_ROUND).isZero();
                assertThat(cleanRound(readEmpty)).as("bytes allocated by 5000 reads of an empty queue").isZero();
                assertThat(cleanRound(write)).as("bytes allocated by 5000 writes").isZero();
                return null;
            }
        });
    }

    /** Runs warm-up rounds, then measures until one round is clean; returns the best round's bytes. */
    private static long cleanRound(LongSupplier round) {
        for (int i = 0; i < 20; i++) {
            round.getAsLong();
        }
        long best = Long.MAX_VALUE;
        for (int i = 0; i < ROUNDS && best > 0; i++) {
            best = Math.min(best, round.getAsLong());
        }
        return best;
    }

    private static void send(DatagramSocket socket, DatagramPacket datagram) {
        try {
            socket.send(datagram);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
