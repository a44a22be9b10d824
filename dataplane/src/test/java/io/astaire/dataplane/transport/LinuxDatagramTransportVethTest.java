package io.astaire.dataplane.transport;

import static io.astaire.dataplane.transport.DatagramTransportSuite.assertContent;
import static io.astaire.dataplane.transport.DatagramTransportSuite.fill;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * GSO over a real veth into another network namespace, where loopback's shortcuts do not apply:
 * a device without transmit checksum offload ({@code ethtool -K tx off}), and segments larger
 * than the MTU (the kernel refuses those with EINVAL; they go out one by one, fragmented).
 */
class LinuxDatagramTransportVethTest {

    @BeforeEach
    void requireRootAndOffloads() {
        assumeTrue(DatagramTransports.nativeSupported(), "the native transport needs Linux x86_64/aarch64");
        assumeTrue(UdpOffload.gsoSupported(), UdpOffload.describe());
        assumeTrue(VethPair.available(), "needs root and iproute2 (ip netns)");
    }

    @Test
    void aDeviceWithoutTransmitChecksumOffloadStillGetsEveryDatagram() throws Exception {
        // Before Linux 6.11 the kernel answered such a GSO message with EIO (the transport then
        // sends one by one and keeps GSO off); since then it checksums the segments in software.
        assumeTrue(VethPair.run("ethtool", "--version") == 0, "needs ethtool");
        try (VethPair veth = new VethPair("astgsocsum", 41)) {
            VethPair.must("ethtool", "-K", veth.nearDevice, "tx", "off");
            try (LinuxDatagramTransport rx = veth.inFarNamespace(() -> LinuxDatagramTransport.open(options(veth, false)));
                 LinuxDatagramTransport tx = LinuxDatagramTransport.open(options(veth, true))) {
                for (int round = 0; round < 2; round++) {
                    PacketBatch out = train(rx, 20, 1000, round * 100);
                    assertThat(tx.send(out)).isEqualTo(20);
                    for (int i = 0; i < 20; i++) {
                        assertThat(out.sent(i)).isTrue();
                    }
                    assertThat(receiveSeeds(rx, 20, 1000)).containsExactlyElementsOf(range(round * 100, 20));
                }
            }
        }
    }

    @Test
    void segmentsLargerThanTheMtuGoOneByOneAndGsoStaysOnForSmallerOnes() throws Exception {
        try (VethPair veth = new VethPair("astgsomtu", 42)) {
            try (LinuxDatagramTransport rx = veth.inFarNamespace(() -> LinuxDatagramTransport.open(options(veth, false)));
                 LinuxDatagramTransport tx = LinuxDatagramTransport.open(options(veth, true))) {
                PacketBatch big = train(rx, 6, 2000, 0); // over the veth's 1500-byte MTU: fragmented, not segmented
                assertThat(tx.send(big)).isEqualTo(6);
                assertThat(receiveSeeds(rx, 6, 2000)).containsExactlyElementsOf(range(0, 6));
                PacketBatch small = train(rx, 10, 1000, 50);
                assertThat(tx.send(small)).isEqualTo(10);
                assertThat(tx.gsoInUse()).isTrue();
                assertThat(receiveSeeds(rx, 10, 1000)).containsExactlyElementsOf(range(50, 10));
            }
        }
    }

    private static TransportOptions options(VethPair veth, boolean near) {
        return TransportOptions.defaults(new InetSocketAddress(near ? veth.near() : veth.far(), 0))
                .withReusePort(false).withReceiveTimeout(Duration.ofMillis(200));
    }

    private static PacketBatch train(DatagramTransport rx, int count, int length, int firstSeed) {
        PacketBatch out = new PacketBatch(64, 4096, 0).size(count);
        for (int i = 0; i < count; i++) {
            fill(out, i, length, firstSeed + i, Endpoint.of(rx.localAddress()));
        }
        return out;
    }

    private static List<Integer> receiveSeeds(DatagramTransport rx, int expected, int length) {
        PacketBatch in = new PacketBatch(64, 4096, 0);
        List<Integer> seeds = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (seeds.size() < expected && System.nanoTime() < deadline) {
            int n = rx.receive(in);
            for (int i = 0; i < n; i++) {
                int seed = in.buffer(i).getInt(in.offset(i));
                assertContent(in, i, length, seed);
                seeds.add(seed);
            }
        }
        return seeds;
    }

    private static List<Integer> range(int from, int count) {
        return java.util.stream.IntStream.range(from, from + count).boxed().toList();
    }
}
