package io.astaire.dataplane.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.counters.DropReason;
import io.astaire.dataplane.function.Allocations;
import io.astaire.dataplane.resolve.HopResolver;
import io.astaire.dataplane.resolve.NameLookup;
import io.astaire.dataplane.testing.NetNs;
import io.astaire.dataplane.testing.Packets;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.dataplane.tun.TunDevice;
import io.astaire.dataplane.tun.TunIo;
import io.astaire.model.TopologyCodec;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.offload.GsoSplitter;
import io.astaire.wire.offload.VirtioNetHeader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The egress-side worker on a vnet-header TUN device, driven one batch at a time: in-order TCP
 * segments of one flow in a batch become one super-packet write, anything else is written alone
 * behind an empty header, the kernel takes both, and a warmed-up batch allocates nothing.
 */
@Timeout(60)
class NetworkToTunWorkerTest {
    private static final int SEGMENTS = 8;
    private static final int MSS = 1200;
    private NetNs ns;

    @BeforeEach
    void namespace() {
        String reason = NetNs.unavailableReason();
        assumeTrue(reason == null, () -> "TUN test skipped: " + reason);
        assumeTrue(TunDevice.available(), "TUN test skipped: /dev/net/tun is missing or not writable");
        ns = NetNs.create("asn2t");
    }

    @AfterEach
    void cleanup() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void inOrderSegmentsOfAFlowAreWrittenAsOneSuperPacketWithoutAllocating() throws Exception {
        ns.call(() -> {
            String topology = """
                    functions:
                      - {name: f1, kind: passthrough, address: 127.0.0.1:4791}
                    chains:
                      - {name: web, spi: 10, functions: [f1]}
                    ingress: {address: 127.0.0.1:4998}
                    egress: {address: 127.0.0.1:4999}
                    """;
            NameLookup none = host -> CompletableFuture.failedFuture(new IllegalStateException("no DNS here: " + host));
            EdgeTables tables = EdgeTables.build(EdgeRole.EGRESS, 1, TopologyCodec.parse(topology),
                    new HopResolver(none, HopResolver.Options.defaults()));
            EdgeStats stats = new EdgeStats();
            try (TunDevice tun = TunDevice.openConfigured("tn2t0", 1, 1440,
                    List.of(new TunDevice.InterfaceAddress(Packets.ip("10.2.0.1"), 24)), true);
                 TunIo io = tun.queue(0).newIo();
                 DatagramSocket sender = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                DatagramTransport rx = DatagramTransports.open(DatagramTransports.Kind.AUTO,
                        TransportOptions.defaults(new InetSocketAddress("127.0.0.1", 0)));
                try {
                    NetworkToTunWorker worker = new NetworkToTunWorker("egress-net-0", rx, io, true, new PacketBatch(32, 65535, 0), () -> tables,
                            stats.newWorker(), new EdgeTrace(EdgeRole.EGRESS, new io.astaire.dataplane.oam.TraceReporter("egress", null, () -> "test")));
                    List<DatagramPacket> batch = datagrams(rx.localAddress());

                    deliver(sender, batch, worker, SEGMENTS + 1);
                    assertThat(stats.tunWriteGso()).as("one super-packet write").isEqualTo(1);
                    assertThat(stats.tunCoalescedSegments()).isEqualTo(SEGMENTS);
                    assertThat(stats.delivered()).as("the segments and the UDP datagram").isEqualTo(SEGMENTS + 1);
                    assertThat(stats.drops(DropReason.TUN_WRITE_FAILED)).as("the kernel took every write").isZero();

                    Runnable oneBatch = () -> worker.doWork();
                    long best = Long.MAX_VALUE;
                    for (int round = 0; round < 400 && best > 0; round++) {
                        send(sender, batch);
                        long bytes = Allocations.bytesAllocatedBy(oneBatch);
                        best = round < 200 ? best : Math.min(best, bytes); // the first rounds warm the JIT up
                    }
                    assertThat(best).as("bytes allocated delivering a batch").isZero();
                    assertThat(stats.drops(DropReason.TUN_WRITE_FAILED)).isZero();
                } finally {
                    rx.close();
                }
            }
            return null;
        });
    }

    /** Sends the batch and has the worker take it, in as many receives as it needs. */
    private static void deliver(DatagramSocket sender, List<DatagramPacket> batch, NetworkToTunWorker worker, int expected) {
        send(sender, batch);
        int got = 0;
        while (got < expected) {
            int n = worker.doWork();
            assertThat(n).isGreaterThanOrEqualTo(0);
            got += n;
        }
        assertThat(got).isEqualTo(expected);
    }

    private static void send(DatagramSocket sender, List<DatagramPacket> batch) {
        try {
            for (DatagramPacket p : batch) {
                sender.send(p);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** SEGMENTS in-order TCP segments of one flow (cut by the splitter, so checksums are right) and one UDP datagram, on SPI 10 after f1. */
    private static List<DatagramPacket> datagrams(InetSocketAddress to) {
        int payload = SEGMENTS * MSS;
        byte[] l4 = new byte[20 + payload];
        ByteBuffer.wrap(l4).putShort(0, (short) 80).putShort(2, (short) 40000).putInt(4, 1).putInt(8, 1)
                .put(12, (byte) 0x50).put(13, (byte) 0x10).putShort(14, (short) 512);
        long pseudo = (10 << 8 | 2) + 1 + (10 << 8 | 1) + 1 + 6 + l4.length;
        ByteBuffer.wrap(l4).putShort(16, (short) (~Packets.checksum(new byte[0], 0, 0, pseudo) & 0xffff));
        byte[] superPacket = Packets.ipv4("10.2.0.2", "10.1.0.1", 6, l4);
        ByteBuffer src = ByteBuffer.allocate(VirtioNetHeader.LENGTH + superPacket.length);
        new VirtioNetHeader().wrap(src, 0).flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_TCPV4)
                .hdrLen(40).gsoSize(MSS).csumStart(20).csumOffset(16);
        src.put(VirtioNetHeader.LENGTH, superPacket);
        GsoSplitter splitter = new GsoSplitter();
        assertThat(splitter.prepare(src, 0, superPacket.length)).isEqualTo(SEGMENTS);
        List<DatagramPacket> out = new ArrayList<>();
        for (int k = 0; k < SEGMENTS; k++) {
            ByteBuffer segment = ByteBuffer.allocate(GpeNshPacket.HEADROOM_MD1 + 40 + MSS);
            int length = splitter.writeSegment(k, segment, GpeNshPacket.HEADROOM_MD1);
            out.add(encapsulate(segment, length, to));
        }
        byte[] udp = Packets.udp4("10.2.0.2", 53, "10.1.0.1", 5000, new byte[100]);
        ByteBuffer b = ByteBuffer.allocate(GpeNshPacket.HEADROOM_MD1 + udp.length).put(GpeNshPacket.HEADROOM_MD1, udp);
        out.add(encapsulate(b, udp.length, to));
        return out;
    }

    private static DatagramPacket encapsulate(ByteBuffer b, int innerLength, InetSocketAddress to) {
        int start = GpeNshPacket.encapsulateMd1(b, GpeNshPacket.HEADROOM_MD1, innerLength, 10, 254, 62, NshHeader.NEXT_PROTOCOL_IPV4);
        return new DatagramPacket(b.array(), start, GpeNshPacket.HEADROOM_MD1 + innerLength, to);
    }
}
