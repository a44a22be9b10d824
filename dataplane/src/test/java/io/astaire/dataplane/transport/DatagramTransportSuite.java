package io.astaire.dataplane.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link DatagramTransport} must have, run against each implementation over
 * real loopback sockets (Netty style: one suite, one subclass per transport).
 */
abstract class DatagramTransportSuite {

    private final List<DatagramTransport> opened = new ArrayList<>();

    abstract DatagramTransports.Kind kind();

    /** What every transport of a test is opened with; subclasses change it (offloads off, say). */
    TransportOptions options(TransportOptions defaults) {
        return defaults;
    }

    DatagramTransport open(Duration timeout) {
        return open(TransportOptions.defaults(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .withReceiveTimeout(timeout));
    }

    DatagramTransport open(TransportOptions options) {
        DatagramTransport t = DatagramTransports.open(kind(), options(options));
        opened.add(t);
        return t;
    }

    DatagramTransport open() {
        return open(Duration.ofMillis(200));
    }

    @AfterEach
    void closeAll() {
        opened.forEach(DatagramTransport::close);
    }

    /** Fills slot {@code i} with {@code length} bytes derived from {@code seed} and addresses it. */
    static void fill(PacketBatch batch, int i, int length, int seed, Endpoint to) {
        ByteBuffer buf = batch.buffer(i);
        int off = batch.offset(i);
        for (int k = 0; k < length; k++) {
            buf.put(off + k, (byte) (seed * 31 + k));
        }
        buf.putInt(off, seed);
        batch.length(i, length).destination(i, to);
    }

    static void assertContent(PacketBatch batch, int i, int length, int seed) {
        ByteBuffer buf = batch.buffer(i);
        int off = batch.offset(i);
        assertThat(batch.length(i)).isEqualTo(length);
        assertThat(buf.getInt(off)).isEqualTo(seed);
        for (int k = 4; k < length; k++) {
            if (buf.get(off + k) != (byte) (seed * 31 + k)) {
                throw new AssertionError("datagram " + seed + " differs at byte " + k);
            }
        }
    }

    /** Receives until {@code expected} datagrams arrived, copying each (seed → length) out. */
    static Map<Integer, Integer> receiveAll(DatagramTransport rx, PacketBatch batch, int expected, Map<Integer, Integer> lengths) {
        Map<Integer, Integer> got = new HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (got.size() < expected && System.nanoTime() < deadline) {
            int n = rx.receive(batch);
            for (int i = 0; i < n; i++) {
                int seed = batch.buffer(i).getInt(batch.offset(i));
                assertContent(batch, i, lengths.get(seed), seed);
                got.put(seed, batch.length(i));
            }
        }
        return got;
    }

    @Test
    void sendsAndReceivesBatchesOfManySizesUpToJumbo() {
        DatagramTransport rx = open();
        DatagramTransport tx = open();
        Endpoint to = Endpoint.of(rx.localAddress());
        PacketBatch out = new PacketBatch(32, 9216, 64);
        PacketBatch in = new PacketBatch(32, 9216, 64);
        Random random = new Random(42);
        Map<Integer, Integer> lengths = new HashMap<>();
        int seed = 0;
        int total = 0;
        for (int round = 0; round < 4; round++) {
            out.clear().size(32);
            for (int i = 0; i < 32; i++) {
                int len = switch (i) {
                    case 0 -> 8;
                    case 1 -> 9000;
                    case 2 -> 9216;
                    default -> 8 + random.nextInt(3000);
                };
                fill(out, i, len, seed, to);
                lengths.put(seed++, len);
            }
            assertThat(tx.send(out)).isEqualTo(32);
            total += 32;
            // Receive each round before the next so the socket buffer never overflows.
            Map<Integer, Integer> got = receiveAll(rx, in, 32, lengths);
            assertThat(got).hasSize(32);
        }
        assertThat(total).isEqualTo(128);
    }

    @Test
    void receiveReportsSourceAndPutsDataAfterHeadroom() {
        DatagramTransport rx = open(TransportOptions.defaults(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .withReceiveTimeout(Duration.ofMillis(200)).withKeepSourceAddress(true));
        DatagramTransport tx = open();
        PacketBatch out = new PacketBatch(1, 2048, 0);
        out.size(1);
        fill(out, 0, 100, 7, Endpoint.of(rx.localAddress()));
        assertThat(tx.send(out)).isEqualTo(1);
        PacketBatch in = new PacketBatch(4, 2048, 128);
        int n = 0;
        for (int tries = 0; n == 0 && tries < 50; tries++) {
            n = rx.receive(in);
        }
        assertThat(n).isEqualTo(1);
        assertThat(in.offset(0)).isEqualTo(128);
        assertContent(in, 0, 100, 7);
        assertThat(in.truncated(0)).isFalse();
        assertThat(in.source(0).getPort()).isEqualTo(tx.localAddress().getPort());
    }

    @Test
    void sendsFromAnOffsetInsideTheHeadroomSoHeadersCanBePrepended() {
        DatagramTransport rx = open();
        DatagramTransport tx = open();
        PacketBatch out = new PacketBatch(1, 2048, 64);
        out.size(1);
        fill(out, 0, 50, 9, Endpoint.of(rx.localAddress()));
        // prepend 32 bytes in place, as an ingress does with GPE+NSH
        int start = out.offset(0) - 32;
        for (int k = 0; k < 32; k++) {
            out.buffer(0).put(start + k, (byte) 0xAB);
        }
        out.offset(0, start).length(0, 82);
        assertThat(tx.send(out)).isEqualTo(1);
        PacketBatch in = new PacketBatch(1, 2048, 0);
        int n = 0;
        for (int tries = 0; n == 0 && tries < 50; tries++) {
            n = rx.receive(in);
        }
        assertThat(n).isEqualTo(1);
        assertThat(in.length(0)).isEqualTo(82);
        assertThat(in.buffer(0).get(0)).isEqualTo((byte) 0xAB);
        assertThat(in.buffer(0).getInt(32)).isEqualTo(9);
    }

    @Test
    void skipsSlotsWithoutDestination() {
        DatagramTransport rx = open();
        DatagramTransport tx = open();
        Endpoint to = Endpoint.of(rx.localAddress());
        PacketBatch out = new PacketBatch(4, 2048, 0);
        out.size(4);
        Map<Integer, Integer> lengths = new HashMap<>();
        for (int i = 0; i < 4; i++) {
            fill(out, i, 60 + i, i, i % 2 == 0 ? to : null);
            lengths.put(i, 60 + i);
        }
        assertThat(tx.send(out)).isEqualTo(2);
        assertThat(new boolean[] {out.sent(0), out.sent(1), out.sent(2), out.sent(3)}).containsExactly(true, false, true, false);
        Map<Integer, Integer> got = receiveAll(rx, new PacketBatch(4, 2048, 0), 2, lengths);
        assertThat(got.keySet()).containsExactlyInAnyOrder(0, 2);
    }

    @Test
    void marksTruncatedDatagramsInsteadOfPassingThemAsWhole() {
        DatagramTransport rx = open();
        DatagramTransport tx = open();
        PacketBatch out = new PacketBatch(2, 4096, 0);
        out.size(2);
        fill(out, 0, 1500, 1, Endpoint.of(rx.localAddress()));
        fill(out, 1, 1000, 2, Endpoint.of(rx.localAddress()));
        assertThat(tx.send(out)).isEqualTo(2);
        PacketBatch in = new PacketBatch(2, 1000, 16);
        int seen = 0;
        boolean[] truncated = new boolean[3];
        for (int tries = 0; seen < 2 && tries < 50; tries++) {
            int n = rx.receive(in);
            for (int i = 0; i < n; i++) {
                int seed = in.buffer(i).getInt(in.offset(i));
                truncated[seed] = in.truncated(i);
                assertThat(in.length(i)).isEqualTo(1000);
                seen++;
            }
        }
        assertThat(seen).isEqualTo(2);
        assertThat(truncated[1]).as("1500 B into 1000 B").isTrue();
        assertThat(truncated[2]).as("exactly 1000 B fits").isFalse();
    }

    @Test
    void receiveTimesOutWithZero() {
        DatagramTransport rx = open(Duration.ofMillis(50));
        assertThat(rx.receive(new PacketBatch(4, 2048, 0))).isZero();
    }

    @Test
    void closeWakesAThreadBlockedInReceive() throws Exception {
        DatagramTransport rx = open(Duration.ofSeconds(30));
        PacketBatch in = new PacketBatch(4, 2048, 0);
        CompletableFuture<Integer> result = CompletableFuture.supplyAsync(() -> {
            int r;
            do {
                r = rx.receive(in);
            } while (r == 0);
            return r;
        }, r -> Thread.ofPlatform().daemon().start(r));
        Thread.sleep(200); // let it block; not a timing assertion
        rx.close();
        assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo(-1);
        assertThat(rx.isOpen()).isFalse();
        assertThat(rx.receive(in)).isEqualTo(-1);
        assertThat(rx.send(in)).isZero();
        rx.close(); // idempotent
    }

    @Test
    void reusePortLetsSeveralWorkersBindOnePort() {
        DatagramTransport first = open();
        DatagramTransport second = open(TransportOptions.defaults(first.localAddress()));
        assertThat(second.localAddress().getPort()).isEqualTo(first.localAddress().getPort());
    }
}
