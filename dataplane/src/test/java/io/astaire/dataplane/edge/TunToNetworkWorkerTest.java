package io.astaire.dataplane.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.dataplane.agent.AgentRunner;
import io.astaire.dataplane.classify.Classifier;
import io.astaire.dataplane.counters.DropReason;
import io.astaire.dataplane.function.Allocations;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.resolve.NameLookup;
import io.astaire.dataplane.testing.Packets;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.model.TopologyCodec;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.WireError;
import io.astaire.wire.offload.OffloadError;
import io.astaire.wire.offload.VirtioNetHeader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the ingress-side worker does with one read from a vnet-header TUN device, fed straight into
 * its staging buffer (the kernel never hands over a malformed header, so this is the only way to
 * see that path): a TSO super-packet leaves as one ordinary NSH datagram per segment, even across
 * a batch that fills up; a read whose header does not fit its packet is dropped, counted by name,
 * and the worker goes on. Real UDP sockets on loopback; no TUN device needed.
 */
@Timeout(60)
class TunToNetworkWorkerTest {
    private static final int MSS = 1000;
    private static final int PAYLOAD = 2 * MSS + 345; // three segments, the last one short
    private static final int FIRST_SEQUENCE = 7_000_000;

    private DatagramSocket firstHop;
    private DatagramTransport transport;
    private EdgeTables tables;
    private EdgeStats stats;
    private HopResolver resolver;
    private TunToNetworkWorker worker;
    private final VirtioNetHeader header = new VirtioNetHeader();

    @BeforeEach
    void worker() throws Exception {
        firstHop = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        firstHop.setSoTimeout(5000);
        String topology = """
                functions:
                  - {name: f1, kind: passthrough, address: 127.0.0.1:%d}
                chains:
                  - {name: web, spi: 10, functions: [f1]}
                rules:
                  - {name: servers, priority: 10, destination: 10.2.0.0/24, chain: web}
                ingress: {address: 127.0.0.1:4998}
                egress: {address: 127.0.0.1:4999}
                """.formatted(firstHop.getLocalPort());
        NameLookup none = host -> CompletableFuture.failedFuture(new IllegalStateException("no DNS here: " + host));
        resolver = new HopResolver(none, HopResolver.Options.defaults());
        tables = EdgeTables.build(EdgeRole.INGRESS, 1, TopologyCodec.parse(topology), resolver);
        resolver.firstAnswers(tables.forwarding().nextHops()).get(5, TimeUnit.SECONDS);
        transport = DatagramTransports.open(DatagramTransports.Kind.AUTO, TransportOptions.defaults(new InetSocketAddress("127.0.0.1", 0)));
        stats = new EdgeStats();
        // Two slots: a three-segment super-packet has to be sent in two batches.
        worker = new TunToNetworkWorker("ingress-tun-0", null, true, transport, new PacketBatch(2, 65535, EdgeNode.HEADROOM), () -> tables,
                new Classifier(64), 0, stats.newWorker(), (destination, errno) -> { });
    }

    @AfterEach
    void close() {
        if (transport != null) {
            transport.close();
        }
        if (firstHop != null) {
            firstHop.close();
        }
    }

    @Test
    void aSuperPacketLeavesAsOneNshDatagramPerSegmentAcrossFullBatches() throws Exception {
        byte[] payload = new byte[PAYLOAD];
        new Random(7).nextBytes(payload);
        int length = stage(tsoSuperPacket(payload), VirtioNetHeader.GSO_TCPV4, MSS);

        worker.flush(worker.cut(tables, 0, length));

        byte[] glued = new byte[PAYLOAD];
        for (int k = 0; k < 3; k++) {
            byte[] datagram = receive();
            ByteBuffer b = ByteBuffer.wrap(datagram);
            GpeNshPacket nsh = new GpeNshPacket();
            assertThat(nsh.wrap(b, 0, datagram.length)).isEqualTo(WireError.OK);
            assertThat(nsh.nsh().spi()).isEqualTo(10);
            assertThat(nsh.nsh().si()).isEqualTo(255);
            assertThat(nsh.nsh().ttl()).isEqualTo(63);
            InnerPacket inner = new InnerPacket();
            assertThat(inner.wrap(b, nsh.innerOffset(), nsh.innerLength())).isEqualTo(WireError.OK);
            int segmentPayload = k < 2 ? MSS : PAYLOAD - 2 * MSS;
            assertThat(nsh.innerLength()).isEqualTo(40 + segmentPayload);
            int tcp = nsh.innerOffset() + 20;
            assertThat(b.getInt(tcp + 4)).as("sequence of segment %d", k).isEqualTo(FIRST_SEQUENCE + k * MSS);
            assertThat(b.get(tcp + 13) & 0x08).as("PSH only on the last segment").isEqualTo(k == 2 ? 0x08 : 0);
            assertThat(Packets.checksum(datagram, nsh.innerOffset(), 20, 0)).as("IPv4 header checksum").isZero();
            assertThat(Packets.checksum(datagram, tcp, 20 + segmentPayload, pseudoHeader(20 + segmentPayload)))
                    .as("TCP checksum of segment %d", k).isZero();
            System.arraycopy(datagram, tcp + 20, glued, k * MSS, segmentPayload);
        }
        assertThat(glued).isEqualTo(payload);
        assertThat(stats.tunReadGso()).isEqualTo(1);
        assertThat(stats.tunSegments()).isEqualTo(3);
        assertThat(stats.sent()).isEqualTo(3);
    }

    @Test
    void aUdpSuperPacketLeavesAsOneDatagramPerSegment() throws Exception {
        int gsoSize = 500;
        byte[] payload = new byte[2 * gsoSize + 300];
        new Random(11).nextBytes(payload);
        byte[] l4 = new byte[8 + payload.length];
        ByteBuffer.wrap(l4).putShort(0, (short) 5000).putShort(2, (short) 53).putShort(4, (short) l4.length).put(8, payload);
        ByteBuffer.wrap(l4).putShort(6, (short) (~Packets.checksum(new byte[0], 0, 0, pseudoHeader(17, l4.length)) & 0xffff));
        byte[] superPacket = Packets.ipv4("10.1.0.1", "10.2.0.5", 17, l4);
        ByteBuffer staging = worker.staging();
        header.wrap(staging, 0).flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_UDP_L4).hdrLen(28)
                .gsoSize(gsoSize).csumStart(20).csumOffset(6);
        staging.put(VirtioNetHeader.LENGTH, superPacket);

        worker.flush(worker.cut(tables, 0, VirtioNetHeader.LENGTH + superPacket.length));

        byte[] glued = new byte[payload.length];
        for (int k = 0; k < 3; k++) {
            byte[] datagram = receive();
            int udp = GpeNshPacket.HEADROOM_MD1 + 20;
            int segment = k < 2 ? gsoSize : 300;
            assertThat(datagram.length).isEqualTo(udp + 8 + segment);
            assertThat(ByteBuffer.wrap(datagram).getShort(udp + 4)).as("UDP length").isEqualTo((short) (8 + segment));
            assertThat(Packets.checksum(datagram, udp, 8 + segment, pseudoHeader(17, 8 + segment))).as("UDP checksum").isZero();
            System.arraycopy(datagram, udp + 8, glued, k * gsoSize, segment);
        }
        assertThat(glued).isEqualTo(payload);
        assertThat(stats.tunReadGso()).isEqualTo(1);
    }

    @Test
    void aHeaderThatDoesNotFitItsPacketIsDroppedByNameAndTheWorkerGoesOn() throws Exception {
        byte[] superPacket = tsoSuperPacket(new byte[PAYLOAD]);
        assertThat(worker.cut(tables, 0, stage(superPacket, VirtioNetHeader.GSO_TCPV4, 0))).isZero();
        assertThat(stats.offloadDrops(OffloadError.GSO_SIZE_INVALID)).isEqualTo(1);
        assertThat(worker.cut(tables, 0, stage(superPacket, VirtioNetHeader.GSO_TCPV6, MSS))).isZero();
        assertThat(stats.offloadDrops(OffloadError.GSO_TYPE_MISMATCH)).isEqualTo(1);
        assertThat(worker.cut(tables, 0, stage(superPacket, VirtioNetHeader.GSO_UDP, MSS))).isZero();
        assertThat(stats.offloadDrops(OffloadError.UFO_UNSUPPORTED)).isEqualTo(1);
        assertThat(worker.cut(tables, 0, 4)).as("a read shorter than the header").isZero();
        assertThat(stats.offloadDrops(OffloadError.TRUNCATED)).isEqualTo(1);
        int cutShort = stage(superPacket, VirtioNetHeader.GSO_TCPV4, MSS) - 100;
        assertThat(worker.cut(tables, 0, cutShort)).as("a packet shorter than its IP header says").isZero();
        assertThat(stats.offloadDrops(OffloadError.IP_INVALID)).isEqualTo(1);
        assertThat(stats.sent()).isZero();
        assertThat(stats.asMap()).containsEntry("drop_vnet_gso_size_invalid", 1L);

        // The next, ordinary read goes through.
        byte[] udp = Packets.udp4("10.1.0.1", 5000, "10.2.0.5", 53, "still here".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        ByteBuffer staging = worker.staging();
        VirtioNetHeader.writeNone(staging, 0);
        staging.put(VirtioNetHeader.LENGTH, udp);
        worker.flush(worker.cut(tables, 0, VirtioNetHeader.LENGTH + udp.length));
        byte[] datagram = receive();
        assertThat(Arrays.copyOfRange(datagram, GpeNshPacket.HEADROOM_MD1, datagram.length)).isEqualTo(udp);
        assertThat(stats.sent()).isEqualTo(1);
    }

    @Test
    void aTurnThatThrowsIsCountedAndTheWorkerGoesOnAnErrorStopsIt() {
        EdgeWorkerCounts counts = stats.newWorker();
        // The tables supplier stands in for any bug below the loop: it throws on the first turn only.
        int[] turns = {0};
        TunToNetworkWorker failing = new TunToNetworkWorker("ingress-tun-9", null, true, transport,
                new PacketBatch(2, 65535, EdgeNode.HEADROOM), () -> {
                    if (turns[0]++ == 0) {
                        throw new IllegalStateException("a bug");
                    }
                    throw new OutOfMemoryError("no heap left");
                }, new Classifier(64), 0, counts, (destination, errno) -> { });
        AgentRunner runner = new AgentRunner(failing, failing::idle, n -> counts.add(EdgeWorkerCounts.INTERNAL_ERRORS, n));
        assertThat(runner.turn()).as("after an exception the loop goes on").isTrue();
        assertThat(stats.internalErrors()).isEqualTo(1);
        assertThat(runner.fatal()).isNull();
        assertThat(runner.turn()).as("after an Error the worker stops").isFalse();
        assertThat(runner.fatal()).isInstanceOf(OutOfMemoryError.class);
        assertThat(runner.deathNotice()).isEqualTo("ingress-tun-9 stopped: java.lang.OutOfMemoryError: no heap left");
        assertThat(stats.internalErrors()).as("an Error is not a packet-path failure to count").isEqualTo(1);
        assertThat(stats.asMap()).containsEntry("internal_errors", 1L);
    }

    @Test
    void cuttingAndSendingAllocatesNothingOnceWarm() {
        byte[] superPacket = tsoSuperPacket(new byte[PAYLOAD]);
        Runnable rounds = () -> {
            for (int i = 0; i < 500; i++) {
                worker.flush(worker.cut(tables, 0, stage(superPacket, VirtioNetHeader.GSO_TCPV4, MSS)));
            }
        };
        // Nobody reads the first hop's socket: the kernel drops what does not fit, the sends still succeed.
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 30 && best > 0; round++) {
            long bytes = Allocations.bytesAllocatedBy(rounds);
            best = round < 10 ? best : Math.min(best, bytes); // the first rounds warm the JIT up
        }
        assertThat(best).as("bytes allocated cutting and sending 500 super-packets").isZero();
        assertThat(stats.sent()).isPositive();
    }

    @Test
    void aBatchIsClassifiedByTheRulesOfTheTablesItRoutesWith() throws Exception {
        try (DatagramSocket otherHop = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            otherHop.setSoTimeout(5000);
            // Version 2: the servers' rule now points at another chain (SPI 20), and SPI 10 is gone.
            EdgeTables v2 = EdgeTables.build(EdgeRole.INGRESS, 2, TopologyCodec.parse("""
                    functions:
                      - {name: f2, kind: passthrough, address: 127.0.0.1:%d}
                    chains:
                      - {name: api, spi: 20, functions: [f2]}
                    rules:
                      - {name: servers, priority: 10, destination: 10.2.0.0/24, chain: api}
                    ingress: {address: 127.0.0.1:4998}
                    egress: {address: 127.0.0.1:4999}
                    """.formatted(otherHop.getLocalPort())), resolver);
            resolver.firstAnswers(v2.forwarding().nextHops()).get(5, TimeUnit.SECONDS);
            byte[] udp = Packets.udp4("10.1.0.1", 5000, "10.2.0.5", 53, "which chain".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            ByteBuffer staging = worker.staging();
            VirtioNetHeader.writeNone(staging, 0);
            staging.put(VirtioNetHeader.LENGTH, udp);
            worker.flush(worker.cut(tables, 0, VirtioNetHeader.LENGTH + udp.length));
            assertThat(nshSpi(receive())).isEqualTo(10);

            // The same flow (cached) in a batch of version 2: its rules, not a stale cache or table.
            worker.flush(worker.cut(v2, 0, VirtioNetHeader.LENGTH + udp.length));
            DatagramPacket p = new DatagramPacket(new byte[65536], 65536);
            otherHop.receive(p);
            assertThat(nshSpi(Arrays.copyOf(p.getData(), p.getLength()))).isEqualTo(20);
            assertThat(stats.drops(DropReason.NO_ROUTE)).as("rules and routes of one version never disagree").isZero();
            assertThat(stats.sentPerSpi()).containsEntry(10, 1L).containsEntry(20, 1L);
        }
    }

    @Test
    void sendsAreCountedBySlotWhenOneInTheMiddleFails() throws Exception {
        // A first hop the IPv4 socket cannot send to (an IPv6 address), between two that it can.
        EdgeTables mixed = EdgeTables.build(EdgeRole.INGRESS, 2, TopologyCodec.parse("""
                functions:
                  - {name: f1, kind: passthrough, address: 127.0.0.1:%d}
                  - {name: f6, kind: passthrough, address: "[::1]:9"}
                chains:
                  - {name: web, spi: 10, functions: [f1]}
                  - {name: six, spi: 30, functions: [f6]}
                rules:
                  - {name: servers, priority: 10, destination: 10.2.0.0/24, chain: web}
                  - {name: sixes, priority: 20, destination: 10.3.0.0/24, chain: six}
                ingress: {address: 127.0.0.1:4998}
                egress: {address: 127.0.0.1:4999}
                """.formatted(firstHop.getLocalPort())), resolver);
        resolver.firstAnswers(mixed.forwarding().nextHops()).get(5, TimeUnit.SECONDS);
        TunToNetworkWorker three = new TunToNetworkWorker("ingress-tun-3", null, true, transport,
                new PacketBatch(3, 65535, EdgeNode.HEADROOM), () -> mixed, new Classifier(64), 0, stats.newWorker(), (d, errno) -> { });
        int n = 0;
        for (String destination : new String[] {"10.2.0.5", "10.3.0.5", "10.2.0.6"}) {
            byte[] udp = Packets.udp4("10.1.0.1", 5000, destination, 53, new byte[16]);
            VirtioNetHeader.writeNone(three.staging(), 0);
            three.staging().put(VirtioNetHeader.LENGTH, udp);
            n = three.cut(mixed, n, VirtioNetHeader.LENGTH + udp.length);
        }
        assertThat(n).isEqualTo(3);
        three.flush(n);
        assertThat(nshSpi(receive())).isEqualTo(10);
        assertThat(nshSpi(receive())).isEqualTo(10);
        assertThat(stats.sentPerSpi()).as("the two that left, each under its own SPI").containsEntry(10, 2L).doesNotContainKey(30);
        assertThat(stats.drops(DropReason.SEND_FAILED)).isEqualTo(1);
    }

    private static int nshSpi(byte[] datagram) {
        GpeNshPacket p = new GpeNshPacket();
        assertThat(p.wrap(ByteBuffer.wrap(datagram), 0, datagram.length)).isEqualTo(WireError.OK);
        return p.nsh().spi();
    }

    /** Puts a virtio_net_hdr (TSO as the kernel writes it, with the given type and size) and the packet into the staging buffer. */
    private int stage(byte[] packet, int gsoType, int gsoSize) {
        ByteBuffer staging = worker.staging();
        header.wrap(staging, 0).flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(gsoType).hdrLen(40)
                .gsoSize(gsoSize).csumStart(20).csumOffset(16);
        staging.put(VirtioNetHeader.LENGTH, packet);
        return VirtioNetHeader.LENGTH + packet.length;
    }

    /** A TCP/IPv4 super-packet 10.1.0.1:40000 -> 10.2.0.5:80 with ACK|PSH, its checksum field holding the pseudo-header sum only. */
    private static byte[] tsoSuperPacket(byte[] payload) {
        byte[] l4 = new byte[20 + payload.length];
        ByteBuffer.wrap(l4).putShort(0, (short) 40000).putShort(2, (short) 80).putInt(4, FIRST_SEQUENCE).putInt(8, 1)
                .put(12, (byte) 0x50).put(13, (byte) 0x18).putShort(14, (short) 512).put(20, payload);
        int partial = ~Packets.checksum(new byte[0], 0, 0, pseudoHeader(l4.length)) & 0xffff;
        ByteBuffer.wrap(l4).putShort(16, (short) partial);
        return Packets.ipv4("10.1.0.1", "10.2.0.5", 6, l4);
    }

    private static long pseudoHeader(int tcpLength) {
        return pseudoHeader(6, tcpLength);
    }

    /** The pseudo-header sum of 10.1.0.1 -> 10.2.0.5. */
    private static long pseudoHeader(int protocol, int l4Length) {
        return (10 << 8 | 1) + (0 << 8 | 1) + (10 << 8 | 2) + (0 << 8 | 5) + protocol + l4Length;
    }

    private byte[] receive() throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[65536], 65536);
        firstHop.receive(p);
        return Arrays.copyOf(p.getData(), p.getLength());
    }
}
