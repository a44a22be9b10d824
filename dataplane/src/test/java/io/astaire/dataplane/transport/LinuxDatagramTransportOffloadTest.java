package io.astaire.dataplane.transport;

import static io.astaire.dataplane.transport.DatagramTransportSuite.assertContent;
import static io.astaire.dataplane.transport.DatagramTransportSuite.fill;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * UDP GSO on send, GRO on receive and per-flow source ports of the native transport, over real
 * loopback sockets: what the kernel coalesces arrives as one message and leaves the transport as
 * one slot per datagram, byte for byte.
 */
class LinuxDatagramTransportOffloadTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final List<DatagramTransport> opened = new ArrayList<>();

    @BeforeEach
    void requireOffloads() {
        assumeTrue(DatagramTransports.nativeSupported(), "the native transport needs Linux x86_64/aarch64");
        assumeTrue(UdpOffload.gsoSupported() && UdpOffload.groSupported(), UdpOffload.describe());
    }

    @AfterEach
    void closeAll() {
        opened.forEach(DatagramTransport::close);
    }

    private LinuxDatagramTransport open(TransportOptions options) {
        LinuxDatagramTransport t = LinuxDatagramTransport.open(options.withReceiveTimeout(Duration.ofMillis(200)));
        opened.add(t);
        return t;
    }

    private LinuxDatagramTransport open() {
        return open(TransportOptions.defaults(LOOPBACK).withReusePort(false));
    }

    /** One received slot as the test saw it. */
    record Slot(int seed, int length, ByteBuffer buffer, int offset, int room, boolean areaStart) {}

    /** Receives until {@code expected} slots came, checking each slot's bytes against the seed it starts with. */
    private static List<Slot> receive(DatagramTransport rx, PacketBatch in, int expected, Map<Integer, Integer> lengths) {
        List<Slot> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (got.size() < expected && System.nanoTime() < deadline) {
            int n = rx.receive(in);
            for (int i = 0; i < n; i++) {
                int seed = in.buffer(i).getInt(in.offset(i));
                assertThat(lengths).containsKey(seed);
                assertContent(in, i, lengths.get(seed), seed);
                assertThat(in.truncated(i)).isFalse();
                assertThat(in.offset(i) + in.room(i)).isLessThanOrEqualTo(in.buffer(i).capacity());
                got.add(new Slot(seed, in.length(i), in.buffer(i), in.offset(i), in.room(i), in.offset(i) == in.headroom()));
            }
        }
        return got;
    }

    private static List<Integer> seeds(List<Slot> slots) {
        return slots.stream().map(Slot::seed).toList();
    }

    @Test
    void aTrainOfEqualDatagramsArrivesAsOneCoalescedMessageSplitIntoSlots() {
        LinuxDatagramTransport rx = open();
        LinuxDatagramTransport tx = open();
        assertThat(tx.gsoInUse()).isTrue();
        assertThat(rx.groInUse()).isTrue();
        Endpoint to = Endpoint.of(rx.localAddress());
        PacketBatch out = new PacketBatch(16, 2048, 0).size(11);
        Map<Integer, Integer> lengths = new HashMap<>();
        for (int i = 0; i < 11; i++) {
            int len = i < 10 ? 1200 : 500; // a short last segment
            fill(out, i, len, 100 + i, to);
            lengths.put(100 + i, len);
        }
        assertThat(tx.send(out)).isEqualTo(11);
        PacketBatch in = new PacketBatch(64, 9216, 48);
        int n = 0;
        for (int tries = 0; n == 0 && tries < 50; tries++) {
            n = rx.receive(in);
        }
        assertThat(n).as("one coalesced message, all segments in one receive").isEqualTo(11);
        for (int k = 0; k < 11; k++) {
            assertContent(in, k, lengths.get(100 + k), 100 + k);
            assertThat(in.buffer(k)).as("slot %d shares the receive area", k).isSameAs(in.buffer(0));
            assertThat(in.address(k)).isEqualTo(in.address(0));
            assertThat(in.offset(k)).isEqualTo(48 + 1200 * k);
            assertThat(in.truncated(k)).isFalse();
            if (k < 10) {
                assertThat(in.room(k)).as("room of slot %d ends where the next segment starts", k).isEqualTo(1200);
            } else {
                assertThat(in.room(k)).isBetween(500, 1200);
            }
        }
    }

    @Test
    void groupsOnlyConsecutiveDatagramsToOneDestinationWithOneLength() {
        LinuxDatagramTransport a = open();
        LinuxDatagramTransport b = open();
        LinuxDatagramTransport c = open();
        LinuxDatagramTransport tx = open();
        Endpoint toA = Endpoint.of(a.localAddress());
        Endpoint toB = Endpoint.of(b.localAddress());
        Endpoint toC = Endpoint.of(c.localAddress());
        // runs: A×5 of 100, B×3 of 200, A×2 of 100, A of 150, C: 300 300 299 300 300, a gap (no destination), B×2 of 200
        Object[][] plan = {{toA, 5, 100}, {toB, 3, 200}, {toA, 2, 100}, {toA, 1, 150}, {toC, 2, 300}, {toC, 1, 299},
                {toC, 2, 300}, {null, 1, 64}, {toB, 2, 200}};
        PacketBatch out = new PacketBatch(64, 2048, 0);
        Map<Integer, Integer> lengths = new HashMap<>();
        Map<Endpoint, List<Integer>> expected = new LinkedHashMap<>();
        int slot = 0;
        for (Object[] run : plan) {
            for (int r = 0; r < (int) run[1]; r++) {
                Endpoint to = (Endpoint) run[0];
                out.size(slot + 1);
                fill(out, slot, (int) run[2], slot, to);
                lengths.put(slot, (int) run[2]);
                if (to != null) {
                    expected.computeIfAbsent(to, k -> new ArrayList<>()).add(slot);
                }
                slot++;
            }
        }
        assertThat(tx.send(out)).isEqualTo(slot - 1);
        for (int i = 0; i < slot; i++) {
            assertThat(out.sent(i)).isEqualTo(out.destination(i) != null);
        }
        List<Slot> gotA = receive(a, new PacketBatch(64, 2048, 0), expected.get(toA).size(), lengths);
        List<Slot> gotB = receive(b, new PacketBatch(64, 2048, 0), expected.get(toB).size(), lengths);
        List<Slot> gotC = receive(c, new PacketBatch(64, 2048, 0), expected.get(toC).size(), lengths);
        assertThat(seeds(gotA)).containsExactlyElementsOf(expected.get(toA));
        assertThat(seeds(gotB)).containsExactlyElementsOf(expected.get(toB));
        assertThat(seeds(gotC)).containsExactlyElementsOf(expected.get(toC));
        // message boundaries as the receiver sees them: A 5 | 2 | 1, B 3 | 2, C 2+299 | 2
        assertThat(gotA.stream().filter(Slot::areaStart).count()).isEqualTo(3);
        assertThat(gotB.stream().filter(Slot::areaStart).count()).isEqualTo(2);
        assertThat(gotC.stream().filter(Slot::areaStart).count()).isEqualTo(2);
    }

    @Test
    void splitsLongTrainsAt64SegmentsAndAt64KiB() {
        LinuxDatagramTransport rx = open();
        LinuxDatagramTransport tx = open();
        Endpoint to = Endpoint.of(rx.localAddress());
        PacketBatch out = new PacketBatch(200, 2048, 0);
        Map<Integer, Integer> lengths = new HashMap<>();
        out.size(150);
        for (int i = 0; i < 150; i++) {
            fill(out, i, 100, i, to);
            lengths.put(i, 100);
        }
        assertThat(tx.send(out)).isEqualTo(150);
        List<Slot> got = receive(rx, new PacketBatch(256, 2048, 0), 150, lengths);
        assertThat(seeds(got)).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 150).boxed().toList());
        assertThat(messageSizes(got)).containsExactly(64, 64, 22);

        out.clear().size(50);
        lengths.clear();
        for (int i = 0; i < 50; i++) {
            fill(out, i, 1400, 1000 + i, to);
            lengths.put(1000 + i, 1400);
        }
        assertThat(tx.send(out)).isEqualTo(50);
        got = receive(rx, new PacketBatch(256, 2048, 0), 50, lengths);
        assertThat(seeds(got)).containsExactlyElementsOf(java.util.stream.IntStream.range(1000, 1050).boxed().toList());
        assertThat(messageSizes(got)).as("46 × 1400 B is the most under 65507 B").containsExactly(46, 4);
    }

    private static List<Integer> messageSizes(List<Slot> slots) {
        List<Integer> sizes = new ArrayList<>();
        for (Slot s : slots) {
            if (s.areaStart()) {
                sizes.add(0);
            }
            sizes.set(sizes.size() - 1, sizes.getLast() + 1);
        }
        return sizes;
    }

    @Test
    void aGsoMessageRefusedWithEioIsSentOneByOneAndGsoStaysOff() {
        LinuxDatagramTransport rx = open();
        LinuxDatagramTransport tx = open();
        Endpoint to = Endpoint.of(rx.localAddress());
        Map<Integer, Integer> lengths = new HashMap<>();
        PacketBatch out = new PacketBatch(32, 2048, 0);
        tx.failNextGsoMessageWithEio();
        for (int round = 0; round < 2; round++) {
            out.clear().size(20);
            for (int i = 0; i < 20; i++) {
                fill(out, i, 900, round * 100 + i, to);
                lengths.put(round * 100 + i, 900);
            }
            assertThat(tx.send(out)).isEqualTo(20);
            assertThat(tx.gsoInUse()).isFalse();
            List<Slot> got = receive(rx, new PacketBatch(64, 2048, 0), 20, lengths);
            assertThat(seeds(got)).containsExactlyElementsOf(java.util.stream.IntStream.range(round * 100, round * 100 + 20).boxed().toList());
            assertThat(messageSizes(got)).as("one datagram per message").hasSize(20).containsOnly(1);
        }
    }

    @Test
    void segmentsThatDoNotFitTheSlotsWaitForTheNextReceive() {
        LinuxDatagramTransport rx = open();
        LinuxDatagramTransport tx = open();
        Endpoint to = Endpoint.of(rx.localAddress());
        PacketBatch out = new PacketBatch(64, 2048, 0).size(40);
        Map<Integer, Integer> lengths = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            fill(out, i, 700, i, to);
            lengths.put(i, 700);
        }
        assertThat(tx.send(out)).isEqualTo(40);
        PacketBatch small = new PacketBatch(16, 2048, 0);
        List<Integer> perCall = new ArrayList<>();
        List<Integer> seeds = new ArrayList<>();
        for (int tries = 0; seeds.size() < 40 && tries < 100; tries++) {
            int n = rx.receive(small);
            if (n > 0) {
                perCall.add(n);
            }
            for (int i = 0; i < n; i++) {
                int seed = small.buffer(i).getInt(small.offset(i));
                assertContent(small, i, 700, seed);
                seeds.add(seed);
            }
        }
        assertThat(seeds).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 40).boxed().toList());
        assertThat(perCall).as("one coalesced message of 40 through 16 slots").containsExactly(16, 16, 8);
    }

    @Test
    void eachFlowLeavesFromOneOfManySourcePortsAndReusePortReceiversShareThem() {
        LinuxDatagramTransport first = open(TransportOptions.defaults(LOOPBACK).withKeepSourceAddress(true));
        LinuxDatagramTransport second = open(TransportOptions.defaults(first.localAddress()).withKeepSourceAddress(true));
        int ports = 32;
        LinuxDatagramTransport tx = open(TransportOptions.defaults(LOOPBACK).withReusePort(false).withSourcePorts(ports));
        Set<Integer> sendPorts = new HashSet<>();
        tx.sendAddresses().forEach(a -> sendPorts.add(a.getPort()));
        assertThat(sendPorts).hasSize(ports).doesNotContain(tx.localAddress().getPort());
        Endpoint to = Endpoint.of(first.localAddress());
        int flows = 256;
        Map<Integer, Set<Integer>> portsOfFlow = new HashMap<>();
        int[] perReceiver = new int[2];
        PacketBatch out = new PacketBatch(flows, 2048, 0);
        PacketBatch in = new PacketBatch(64, 2048, 0);
        for (int round = 0; round < 3; round++) {
            out.clear().size(flows);
            for (int f = 0; f < flows; f++) {
                fill(out, f, 64, f, to);
                out.flowHash(f, f); // neighbouring hashes: the mixing must spread them anyway
            }
            assertThat(tx.send(out)).isEqualTo(flows);
            int seen = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (seen < flows && System.nanoTime() < deadline) {
                for (int r = 0; r < 2; r++) {
                    LinuxDatagramTransport rx = r == 0 ? first : second;
                    int n = rx.receive(in);
                    for (int i = 0; i < n; i++) {
                        int flow = in.buffer(i).getInt(in.offset(i));
                        portsOfFlow.computeIfAbsent(flow, k -> new HashSet<>()).add(in.source(i).getPort());
                        perReceiver[r]++;
                        seen++;
                    }
                }
            }
            assertThat(seen).isEqualTo(flows);
        }
        Set<Integer> expectedSockets = new HashSet<>();
        for (int f = 0; f < flows; f++) {
            expectedSockets.add(LinuxDatagramTransport.socketFor(f, ports));
        }
        Set<Integer> usedPorts = new HashSet<>();
        portsOfFlow.forEach((flow, p) -> {
            assertThat(p).as("source ports of flow %d", flow).hasSize(1);
            usedPorts.addAll(p);
        });
        assertThat(sendPorts).containsAll(usedPorts);
        assertThat(usedPorts).hasSize(expectedSockets.size()).hasSizeGreaterThan(ports / 2);
        assertThat(perReceiver[0]).as("datagrams at the first SO_REUSEPORT socket").isPositive();
        assertThat(perReceiver[1]).as("datagrams at the second SO_REUSEPORT socket").isPositive();
    }

    @Test
    void oneSourcePortIsTheListeningPort() {
        LinuxDatagramTransport rx = open(TransportOptions.defaults(LOOPBACK).withReusePort(false).withKeepSourceAddress(true));
        LinuxDatagramTransport tx = open();
        assertThat(tx.sendAddresses()).containsExactly(tx.localAddress());
        PacketBatch out = new PacketBatch(32, 2048, 0).size(32);
        for (int f = 0; f < 32; f++) {
            fill(out, f, 64 + f, f, Endpoint.of(rx.localAddress()));
            out.flowHash(f, f * 7919);
        }
        assertThat(tx.send(out)).isEqualTo(32);
        PacketBatch in = new PacketBatch(32, 2048, 0);
        int seen = 0;
        for (int tries = 0; seen < 32 && tries < 100; tries++) {
            int n = rx.receive(in);
            for (int i = 0; i < n; i++) {
                assertThat(in.source(i).getPort()).isEqualTo(tx.localAddress().getPort());
                seen++;
            }
        }
        assertThat(seen).isEqualTo(32);
    }

    @Test
    void sendsToAConnectedPeerWithoutAnAddressAndElsewhereWithOne() {
        LinuxDatagramTransport peer = open(TransportOptions.defaults(LOOPBACK).withReusePort(false).withKeepSourceAddress(true));
        LinuxDatagramTransport other = open();
        LinuxDatagramTransport tx = open(TransportOptions.defaults(LOOPBACK).withReusePort(false)
                .withSourcePorts(4).withPeer(peer.localAddress()));
        PacketBatch out = new PacketBatch(16, 2048, 0).size(16);
        Map<Integer, Integer> lengths = new HashMap<>();
        for (int i = 0; i < 16; i++) {
            fill(out, i, 300, i, Endpoint.of(i % 4 == 3 ? other.localAddress() : peer.localAddress()));
            out.flowHash(i, i / 4);
            lengths.put(i, 300);
        }
        assertThat(tx.send(out)).isEqualTo(16);
        List<Slot> atPeer = receive(peer, new PacketBatch(64, 2048, 0), 12, lengths);
        List<Slot> atOther = receive(other, new PacketBatch(64, 2048, 0), 4, lengths);
        assertThat(seeds(atPeer)).containsExactlyInAnyOrder(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14);
        assertThat(seeds(atOther)).containsExactlyInAnyOrder(3, 7, 11, 15);
    }

    @Test
    void drainsIcmpErrorsFromEverySourcePort() {
        LinuxDatagramTransport tx = open(TransportOptions.defaults(LOOPBACK).withReusePort(false).withSourcePorts(4));
        LinuxDatagramTransport gone = open();
        InetSocketAddress dead = gone.localAddress();
        gone.close();
        PacketBatch out = new PacketBatch(8, 2048, 0);
        Set<InetSocketAddress> reported = new HashSet<>();
        for (int tries = 0; reported.isEmpty() && tries < 50; tries++) {
            out.clear().size(8);
            for (int i = 0; i < 8; i++) {
                fill(out, i, 64, i, Endpoint.of(dead));
                out.flowHash(i, i * 31 + tries);
            }
            tx.send(out);
            tx.drainErrorQueue((destination, errno) -> reported.add(destination));
        }
        assertThat(reported).containsExactly(dead);
    }

    @Test
    void receiveAndSendAllocateNothingWithOffloadsOnOrOff() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "this JVM does not count per-thread allocations");
        for (TransportOptions.Offload offload : TransportOptions.Offload.values()) {
            TransportOptions options = TransportOptions.defaults(LOOPBACK).withReusePort(false).withOffload(offload);
            LinuxDatagramTransport rx = open(options);
            LinuxDatagramTransport tx = open(options.withSourcePorts(4));
            Endpoint to = Endpoint.of(rx.localAddress());
            PacketBatch out = new PacketBatch(64, 2048, 0);
            PacketBatch in = new PacketBatch(64, 2048, 0);
            out.size(64);
            for (int i = 0; i < 64; i++) {
                fill(out, i, i < 40 ? 800 : 100 + i, i, to); // a GSO run and single datagrams
                out.flowHash(i, i / 8);
            }
            IntConsumer round = calls -> {
                for (int c = 0; c < calls; c++) {
                    int sent = tx.send(out);
                    int received = 0;
                    for (int tries = 0; received < sent && tries < 1000; tries++) {
                        received += Math.max(0, rx.receive(in));
                    }
                }
            };
            round.accept(20_000);
            long best = Long.MAX_VALUE;
            for (int r = 0; r < 8 && best > 0; r++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                round.accept(2_000);
                best = Math.min(best, threads.getCurrentThreadAllocatedBytes() - before);
            }
            assertThat(best).as("bytes allocated by 2000 send+receive rounds, offload %s", offload).isLessThan(2_000);
        }
    }
}
