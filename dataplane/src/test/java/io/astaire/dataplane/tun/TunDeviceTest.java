package io.astaire.dataplane.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

/** A real TUN device in a fresh network namespace: open, MTU, up, address, read, write, multi-queue, errors. */
@Timeout(60)
class TunDeviceTest {
    private static final int HEADROOM = 64;
    private NetNs ns;

    @BeforeEach
    void namespace() {
        ns = NetNs.createForTun("astun", "TUN test");
    }

    @AfterEach
    void cleanup() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void opensSetsMtuBringsUpAndAssignsAnAddress() throws Exception {
        String link = ns.call(() -> {
            try (TunDevice tun = TunDevice.openConfigured("tuna0", 1, 1440,
                    List.of(new TunDevice.InterfaceAddress(Packets.ip("10.77.0.1"), 24)))) {
                assertThat(tun.name()).isEqualTo("tuna0");
                assertThat(tun.mtu()).isEqualTo(1440);
                assertThat(tun.isUp()).isTrue();
                return ns.exec("ip", "-o", "addr", "show", "dev", "tuna0") + ns.exec("ip", "-o", "link", "show", "dev", "tuna0");
            }
        });
        assertThat(link).contains("10.77.0.1/24").contains("mtu 1440").contains("UP");
        // A device this process created disappears with its descriptor.
        assertThat(ns.execResult(10, "ip", "link", "show", "dev", "tuna0").exit()).isNotZero();
    }

    @Test
    void readsWhatTheKernelRoutesIntoTheDevice() throws Exception {
        ns.call(() -> {
            try (TunDevice tun = TunDevice.openConfigured("tunr0", 1, 1400,
                    List.of(new TunDevice.InterfaceAddress(Packets.ip("10.77.1.1"), 24)));
                 TunIo io = tun.queue(0).newIo();
                 Arena arena = Arena.ofConfined();
                 DatagramSocket socket = new DatagramSocket(new InetSocketAddress("10.77.1.1", 0))) {
                byte[] payload = "hello through the tun".getBytes(StandardCharsets.US_ASCII);
                socket.send(new DatagramPacket(payload, payload.length, new InetSocketAddress("10.77.1.99", 9999)));
                MemorySegment buf = arena.allocate(HEADROOM + 65536, 64);
                ByteBuffer view = buf.asByteBuffer();
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (System.nanoTime() < deadline) {
                    io.awaitReadable(200);
                    int n = io.read(buf, HEADROOM);
                    assertThat(n).isGreaterThanOrEqualTo(0);
                    if (n == 0 || (view.get(HEADROOM) >> 4) != 4) {
                        continue; // nothing yet, or the kernel's own IPv6 router solicitations
                    }
                    assertThat(n).isEqualTo(20 + 8 + payload.length);
                    assertThat(view.get(HEADROOM + 9)).isEqualTo((byte) 17);
                    byte[] dst = new byte[4];
                    view.get(HEADROOM + 16, dst);
                    assertThat(dst).isEqualTo(Packets.ip("10.77.1.99").getAddress());
                    assertThat(view.getShort(HEADROOM + 22)).isEqualTo((short) 9999);
                    byte[] got = new byte[payload.length];
                    view.get(HEADROOM + 28, got);
                    assertThat(got).isEqualTo(payload);
                    return null;
                }
                throw new AssertionError("no IPv4 packet came out of the TUN device within 10 s");
            }
        });
    }

    @Test
    void writtenPacketsReachTheKernelWhichAnswersThroughTheDevice() throws Exception {
        ns.call(() -> {
            try (TunDevice tun = TunDevice.openConfigured("tunw0", 1, 1400,
                    List.of(new TunDevice.InterfaceAddress(Packets.ip("10.77.2.1"), 24)));
                 TunIo io = tun.queue(0).newIo();
                 Arena arena = Arena.ofConfined()) {
                byte[] echo = Packets.icmpEcho4("10.77.2.2", "10.77.2.1", 0x4242, 7, "ping".getBytes(StandardCharsets.US_ASCII));
                MemorySegment out = arena.allocate(echo.length + 100);
                MemorySegment.copy(echo, 0, out, ValueLayout.JAVA_BYTE, 100, echo.length);
                assertThat(io.write(out, 100, echo.length)).isEqualTo(echo.length);
                return expectEchoReply(io, arena, 0x4242, 7);
            }
        });
    }

    @Test
    void multiQueueDeviceGivesEveryQueueItsOwnDescriptorAndEachOneWorks() throws Exception {
        ns.call(() -> {
            try (TunDevice tun = TunDevice.openConfigured("tunm0", 2, 1400,
                    List.of(new TunDevice.InterfaceAddress(Packets.ip("10.77.3.1"), 24)));
                 Arena arena = Arena.ofConfined()) {
                assertThat(tun.queueCount()).isEqualTo(2);
                assertThat(tun.queue(0).fd()).isNotEqualTo(tun.queue(1).fd());
                assertThat(ns.exec("ip", "-d", "link", "show", "dev", "tunm0")).contains("multi_queue");
                for (int q = 0; q < 2; q++) {
                    try (TunIo io = tun.queue(q).newIo()) {
                        byte[] echo = Packets.icmpEcho4("10.77.3.2", "10.77.3.1", 0x1000 + q, q, new byte[16]);
                        MemorySegment out = arena.allocateFrom(ValueLayout.JAVA_BYTE, echo);
                        assertThat(io.write(out, 0, echo.length)).isEqualTo(echo.length);
                    }
                }
                // The kernel may answer on either queue: poll both until both replies were seen.
                TunIo a = tun.queue(0).newIo();
                TunIo b = tun.queue(1).newIo();
                MemorySegment buf = arena.allocate(HEADROOM + 65536);
                ByteBuffer view = buf.asByteBuffer();
                boolean[] seen = new boolean[2];
                long deadline = System.nanoTime() + 10_000_000_000L;
                while ((!seen[0] || !seen[1]) && System.nanoTime() < deadline) {
                    for (TunIo io : List.of(a, b)) {
                        int n = io.read(buf, HEADROOM);
                        if (n > 0 && (view.get(HEADROOM) >> 4) == 4 && view.get(HEADROOM + 20) == 0) {
                            int id = view.getShort(HEADROOM + 24) & 0xffff;
                            seen[id - 0x1000] = true;
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
    void refusesBadNamesAndNonTunInterfacesWithAClearMessage() throws Exception {
        assertThatThrownBy(() -> TunDevice.open("a-name-far-too-long", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1-15 characters");
        ns.call(() -> {
            ns.exec("ip", "link", "add", "vx0", "type", "veth", "peer", "name", "vx1");
            assertThatThrownBy(() -> TunDevice.open("vx0", 1))
                    .isInstanceOf(TunException.class)
                    .hasMessageContaining("vx0").hasMessageContaining("not a TUN device");
            return null;
        });
    }

    @Test
    void mtuRuleSubtractsTheEncapsulationFromTheRoutedInterface() throws Exception {
        assertThat(TunMtu.tunMtu(1500, false)).isEqualTo(1440);
        assertThat(TunMtu.tunMtu(1500, true)).isEqualTo(1420);
        assertThat(TunMtu.tunMtu(9000, false)).isEqualTo(8940);
        assertThatThrownBy(() -> TunMtu.tunMtu(600, false)).hasMessageContaining("leaves 540");
        ns.exec("ip", "link", "add", "vu0", "type", "veth", "peer", "name", "vu1");
        ns.exec("ip", "link", "set", "vu0", "mtu", "1450", "up");
        ns.exec("ip", "link", "set", "vu1", "up");
        ns.exec("ip", "addr", "add", "10.77.4.1/24", "dev", "vu0");
        ns.exec("ip", "route", "add", "10.88.0.0/16", "via", "10.77.4.2", "dev", "vu0");
        ns.call(() -> {
            assertThat(TunMtu.routeTo(Packets.ip("10.77.4.9"))).isEqualTo(new TunMtu.Route("vu0", 1450));
            assertThat(TunMtu.routeTo(Packets.ip("10.88.1.1"))).isEqualTo(new TunMtu.Route("vu0", 1450));
            assertThatThrownBy(() -> TunMtu.routeTo(Packets.ip("192.0.2.1"))).hasMessageContaining("no route to 192.0.2.1").hasMessageContaining("--underlay-mtu N");
            return null;
        });
    }

    private static Void expectEchoReply(TunIo io, Arena arena, int id, int seq) {
        MemorySegment buf = arena.allocate(HEADROOM + 65536);
        ByteBuffer view = buf.asByteBuffer();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            io.awaitReadable(200);
            int n = io.read(buf, HEADROOM);
            if (n <= 0 || (view.get(HEADROOM) >> 4) != 4) {
                continue;
            }
            assertThat(view.get(HEADROOM + 9)).as("protocol ICMP").isEqualTo((byte) 1);
            assertThat(view.get(HEADROOM + 20)).as("echo reply").isEqualTo((byte) 0);
            assertThat(view.getShort(HEADROOM + 24) & 0xffff).isEqualTo(id);
            assertThat(view.getShort(HEADROOM + 26) & 0xffff).isEqualTo(seq);
            return null;
        }
        throw new AssertionError("the kernel's echo reply did not come out of the TUN device within 10 s");
    }
}
