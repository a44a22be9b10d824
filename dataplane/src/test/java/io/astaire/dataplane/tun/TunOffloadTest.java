package io.astaire.dataplane.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.testing.Cmd;
import io.astaire.dataplane.testing.NetNs;
import io.astaire.dataplane.testing.Packets;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A TUN device opened with offloads in a fresh namespace: the kernel takes the virtio_net_hdr and
 * the offloads (as {@code ethtool -k} shows), every read starts with the header, a write with a
 * header is accepted, and every queue of a multi-queue device gets the same settings.
 */
@Timeout(60)
class TunOffloadTest {
    private static final int HEADROOM = 64;
    private static final int VNET = TunDevice.VNET_HEADER_LENGTH;
    private NetNs ns;

    @BeforeEach
    void namespace() {
        ns = NetNs.createForTun("astoff", "TUN test");
    }

    @AfterEach
    void cleanup() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void theKernelAcceptsTheVnetHeaderAndTheSegmentationOffloads() throws Exception {
        assumeTrue(Cmd.has("ethtool"), "needs ethtool (apt-get install ethtool)");
        ns.call(() -> {
            try (TunDevice tun = TunDevice.openConfigured("tuno0", 1, 1400, List.of(), true)) {
                TunOffloads o = tun.offloads();
                assertThat(tun.vnetHeader()).isTrue();
                assertThat(o.has(TunOffloads.Feature.CSUM)).isTrue();
                assertThat(o.has(TunOffloads.Feature.TSO4)).isTrue();
                assertThat(o.has(TunOffloads.Feature.TSO6)).isTrue();
                assertThat(o.describe()).startsWith("vnet header, offloads csum tso4 tso6");
                String features = ns.exec("ethtool", "-k", "tuno0");
                assertThat(features).contains("tx-checksumming: on").contains("tcp-segmentation-offload: on")
                        .contains("tx-tcp-segmentation: on").contains("tx-tcp6-segmentation: on");
                if (o.has(TunOffloads.Feature.USO4)) {
                    assertThat(features).contains("tx-udp-segmentation: on");
                }
            }
            try (TunDevice plain = TunDevice.openConfigured("tunp0", 1, 1400, List.of())) {
                assertThat(plain.offloads()).isEqualTo(TunOffloads.NONE);
                assertThat(plain.offloads().describe()).contains("no offloads");
                assertThat(ns.exec("ethtool", "-k", "tunp0")).contains("tcp-segmentation-offload: off");
            }
            return null;
        });
    }

    @Test
    void everyQueueOfAMultiQueueDeviceReadsAndWritesWithTheHeader() throws Exception {
        ns.call(() -> {
            try (TunDevice tun = TunDevice.openConfigured("tunmo0", 2, 1400,
                    List.of(new TunDevice.InterfaceAddress(Packets.ip("10.78.3.1"), 24)), true);
                 Arena arena = Arena.ofConfined()) {
                assertThat(tun.offloads().has(TunOffloads.Feature.TSO4)).isTrue();
                assertThat(ns.exec("ip", "-d", "link", "show", "dev", "tunmo0")).contains("multi_queue");
                for (int q = 0; q < 2; q++) {
                    try (TunIo io = tun.queue(q).newIo()) {
                        byte[] echo = Packets.icmpEcho4("10.78.3.2", "10.78.3.1", 0x2000 + q, q, new byte[16]);
                        MemorySegment out = arena.allocate(VNET + echo.length); // an all-zero header: no offload
                        MemorySegment.copy(echo, 0, out, ValueLayout.JAVA_BYTE, VNET, echo.length);
                        assertThat(io.write(out, 0, VNET + echo.length)).isEqualTo(VNET + echo.length);
                        // Without the header the kernel would read the packet's first 10 bytes as one.
                    }
                }
                TunIo a = tun.queue(0).newIo();
                TunIo b = tun.queue(1).newIo();
                MemorySegment buf = arena.allocate(HEADROOM + 65536);
                ByteBuffer view = buf.asByteBuffer();
                boolean[] seen = new boolean[2];
                long deadline = System.nanoTime() + 10_000_000_000L;
                while ((!seen[0] || !seen[1]) && System.nanoTime() < deadline) {
                    for (TunIo io : List.of(a, b)) {
                        int n = io.read(buf, HEADROOM);
                        int ip = HEADROOM + VNET;
                        if (n > VNET && (view.get(ip) >> 4) == 4 && view.get(ip + 20) == 0) {
                            assertThat(view.get(HEADROOM + 1)).as("gso_type of an echo reply").isEqualTo((byte) 0);
                            assertThat(n).isEqualTo(VNET + (view.getShort(ip + 2) & 0xffff));
                            seen[(view.getShort(ip + 24) & 0xffff) - 0x2000] = true;
                        }
                    }
                    Thread.sleep(5);
                }
                a.close();
                b.close();
                assertThat(seen).containsExactly(true, true);
                return null;
            }
        });
    }

    @Test
    void aReadReturnsTheHeaderThenThePacket() throws Exception {
        ns.call(() -> {
            try (TunDevice tun = TunDevice.openConfigured("tunro0", 1, 1400,
                    List.of(new TunDevice.InterfaceAddress(Packets.ip("10.78.1.1"), 24)), true);
                 TunIo io = tun.queue(0).newIo();
                 Arena arena = Arena.ofConfined();
                 DatagramSocket socket = new DatagramSocket(new InetSocketAddress("10.78.1.1", 0))) {
                byte[] payload = "hello with a header".getBytes(StandardCharsets.US_ASCII);
                socket.send(new DatagramPacket(payload, payload.length, new InetSocketAddress("10.78.1.99", 9999)));
                MemorySegment buf = arena.allocate(VNET + 65536, 64);
                ByteBuffer view = buf.asByteBuffer();
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (System.nanoTime() < deadline) {
                    io.awaitReadable(200);
                    int n = io.read(buf, 0);
                    if (n <= VNET || (view.get(VNET) >> 4) != 4) {
                        continue;
                    }
                    assertThat(n).isEqualTo(VNET + 20 + 8 + payload.length);
                    assertThat(view.get(1)).as("gso_type NONE").isEqualTo((byte) 0);
                    assertThat(view.get(VNET + 9)).isEqualTo((byte) 17);
                    assertThat(view.getShort(VNET + 22)).isEqualTo((short) 9999);
                    return null;
                }
                throw new AssertionError("no IPv4 packet came out of the TUN device within 10 s");
            }
        });
    }

    @Test
    void aUdpGsoSendComesOutAsOneUsoSuperPacket() throws Exception {
        assumeTrue(Cmd.has("python3"), "needs python3 to send with UDP_SEGMENT");
        ns.call(() -> {
            try (TunDevice tun = TunDevice.openConfigured("tunuso0", 1, 1400,
                    List.of(new TunDevice.InterfaceAddress(Packets.ip("10.78.5.1"), 24)), true);
                 TunIo io = tun.queue(0).newIo();
                 Arena arena = Arena.ofConfined()) {
                assumeTrue(tun.offloads().has(TunOffloads.Feature.USO4), "this kernel has no USO for TUN devices (Linux 6.2+)");
                // SOL_UDP 17, UDP_SEGMENT 103: the kernel keeps 3 x 500 bytes as one skb down to the device.
                ns.exec("python3", "-c", "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                        + "s.setsockopt(17, 103, 500); s.sendto(b'x' * 1500, ('10.78.5.9', 9999))");
                MemorySegment buf = arena.allocate(VNET + 65536, 64);
                ByteBuffer view = buf.asByteBuffer();
                ByteBuffer header = buf.asByteBuffer().order(java.nio.ByteOrder.nativeOrder());
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (System.nanoTime() < deadline) {
                    io.awaitReadable(200);
                    int n = io.read(buf, 0);
                    if (n <= VNET || (view.get(VNET) >> 4) != 4 || view.get(VNET + 9) != 17) {
                        continue;
                    }
                    assertThat(view.get(1)).as("gso_type UDP_L4").isEqualTo((byte) 5);
                    assertThat(header.getShort(4)).as("gso_size").isEqualTo((short) 500);
                    assertThat(n).as("one read for the three datagrams").isEqualTo(VNET + 20 + 8 + 1500);
                    return null;
                }
                throw new AssertionError("no UDP packet came out of the TUN device within 10 s");
            }
        });
    }
}
