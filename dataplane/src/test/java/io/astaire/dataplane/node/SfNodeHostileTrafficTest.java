package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.dataplane.config.FileTopologySource;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.NshHeader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the issue 10 probe found and must keep holding: 300 000 hostile datagrams into a node, mixed
 * with valid ones, on real loopback sockets. Every valid datagram arrives at the next hop exactly
 * once and intact, every hostile one is dropped and counted under a reason, nothing else comes out,
 * and the node is still ready afterwards. The hostile mix is seeded, so a failure reproduces.
 */
class SfNodeHostileTrafficTest {

    static final int SPI = 10;
    static final int TOTAL = 300_000;
    /** One in this many datagrams is valid. */
    static final int VALID_EVERY = 3;
    /** Datagrams in flight at most: the test checks the node, not the kernel's socket buffers on a busy machine. */
    static final int WINDOW = 256;

    /** The ways a datagram is made hostile; each must be dropped, none may reach the next hop. */
    enum Hostile {
        RANDOM_BYTES, TRUNCATED, EMPTY, BAD_NSH_VERSION, NO_GPE_P_BIT, UNKNOWN_NEXT_PROTOCOL, LENGTH_PAST_END,
        UNKNOWN_SPI, WRONG_SI, TTL_EXPIRED, INNER_CUT, INNER_BAD_VERSION, INNER_BAD_IHL, INNER_LENGTH_LIE,
        /** A data packet claiming to be OAM: the OAM path must refuse it, not forward or answer it. */
        O_BIT_ON_DATA
    }

    @TempDir
    Path dir;

    @Test
    void threeHundredThousandHostileAndValidDatagramsEveryDropCountedEveryValidOneThrough() throws Exception {
        try (CountingSink sink = new CountingSink()) {
            Path topology = dir.resolve("topology.yaml");
            Files.writeString(topology, """
                    functions:
                      - {name: a, kind: stamp, address: "127.0.0.1:%d"}
                    chains:
                      - {name: web, spi: %d, symmetric: false, functions: [a]}
                    egress: {address: "127.0.0.1:%d"}
                    """.formatted(SfNodeChainTest.freePort(), SPI, sink.port()));
            try (SfNode node = SfNode.builder().topology(new FileTopologySource(topology), List.of("a")).workers(2)
                    .functionFactory(TestFunctions::create).start();
                 Generator gen = new Generator()) {
                run(node, sink, gen);
            }
        }
    }

    private static void run(SfNode node, CountingSink sink, Generator gen) throws Exception {
        {
            Random random = new Random(20261203L);
            Hostile[] kinds = Hostile.values();
            Map<Hostile, Integer> sentByKind = new EnumMap<>(Hostile.class);
            int valid = 0;
            for (int i = 0; i < TOTAL; i++) {
                if (i % VALID_EVERY == 0) {
                    gen.send(node.localAddress(), TestPackets.nsh(SPI, 255, 63, inner(valid++)));
                } else {
                    Hostile kind = kinds[random.nextInt(kinds.length)];
                    sentByKind.merge(kind, 1, Integer::sum);
                    gen.send(node.localAddress(), hostile(kind, random, i));
                }
                if ((i + 1) % WINDOW == 0 || i == TOTAL - 1) {
                    awaitReceived(node, i + 1);
                }
            }
            int hostile = TOTAL - valid;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (sink.count() < valid && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Map<String, Long> counters = node.counterSnapshot();
            long dropped = counters.entrySet().stream().filter(e -> e.getKey().startsWith("dropped."))
                    .mapToLong(Map.Entry::getValue).sum();

            assertThat(counters.get("datagrams")).as("the node read every datagram").isEqualTo(TOTAL);
            assertThat(sink.strangers()).as("nothing but the valid datagrams came out (" + sink.firstStranger() + ")").isZero();
            assertThat(sink.duplicates()).as("no valid datagram came out twice").isZero();
            assertThat(sink.seen().cardinality()).as("every valid datagram arrived, intact (" + counters + ")").isEqualTo(valid);
            // A datagram with the NSH O bit goes to the OAM path, which counts what it does not answer as refused.
            long oamRefused = (long) Metrics.value(node.scrape(), "astaire_oam_echo_total", "outcome", "refused");
            assertThat(dropped + oamRefused).as("every hostile datagram was dropped and counted under a reason: " + counters
                    + ", OAM refused " + oamRefused + ", sent " + sentByKind).isEqualTo(hostile);
            assertThat(oamRefused).as("data packets with the O bit set are refused by the OAM path").isGreaterThanOrEqualTo(sentByKind.get(Hostile.O_BIT_ON_DATA));
            assertThat(counters.get("dropped.malformed")).as("most of them are malformed").isPositive();
            assertThat(counters.get("dropped.unknown_path")).isPositive();
            assertThat(counters.get("dropped.ttl_expired")).isPositive();
            assertThat(node.internalErrors()).as("no hostile datagram reached a code path that threw").isZero();
            assertThat(node.isReady()).as("the node is still ready: " + node.notReadyReason()).isTrue();
        }
    }

    private static void awaitReceived(SfNode node, long sent) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (node.counterSnapshot().get("datagrams") < sent) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the node read " + node.counterSnapshot().get("datagrams") + " of " + sent
                        + " datagrams sent in 30 s: it stopped reading");
            }
            Thread.onSpinWait();
        }
    }

    /** A valid inner IPv4/UDP packet whose payload starts with {@code seq}. */
    private static byte[] inner(int seq) {
        return TestPackets.udp4(ip("10.0.0.1"), ip("10.20.0.7"), 40000 + (seq & 0xfff), 80, 64, seq);
    }

    private static byte[] hostile(Hostile kind, Random random, int i) {
        byte[] good = TestPackets.nsh(SPI, 255, 63, TestPackets.udp4(ip("10.0.0.2"), ip("10.20.0.7"), 1234, 80, 64, -1 - i));
        int nsh = 8; // the NSH base header follows the 8-byte VXLAN-GPE header
        int inner = GpeNshPacket.HEADROOM_MD1;
        switch (kind) {
            case RANDOM_BYTES -> {
                byte[] b = new byte[1 + random.nextInt(1400)];
                random.nextBytes(b);
                b[0] = (byte) (b[0] & ~0x04); // no P bit: random bytes can never be a well-formed GPE header
                // About half of them have the O bit where the NSH would start: the OAM path gets those.
                return b;
            }
            case TRUNCATED -> {
                return Arrays.copyOf(good, random.nextInt(inner + 20)); // cut inside the headers
            }
            case EMPTY -> {
                return new byte[0];
            }
            case BAD_NSH_VERSION -> good[nsh] |= (byte) (0x40 << random.nextInt(2));
            case NO_GPE_P_BIT -> good[0] &= (byte) ~0x04;
            case UNKNOWN_NEXT_PROTOCOL -> good[nsh + 3] = (byte) (0x10 + random.nextInt(0x60)); // neither IPv4, IPv6 nor Ethernet
            case LENGTH_PAST_END -> good[nsh + 1] = (byte) ((good[nsh + 1] & 0xc0) | 0x3f); // NSH length 63 words
            case UNKNOWN_SPI -> ByteBuffer.wrap(good).putInt(nsh + 4, (999 << 8) | 255);
            case WRONG_SI -> good[nsh + 7] = (byte) (1 + random.nextInt(254)); // not the hop this node hosts
            case TTL_EXPIRED -> {
                return TestPackets.nsh(SPI, 255, 1, Arrays.copyOfRange(good, inner, good.length));
            }
            case INNER_CUT -> {
                return Arrays.copyOf(good, inner + 28 + random.nextInt(60)); // IP says 92 bytes, fewer are there
            }
            case INNER_BAD_VERSION -> good[inner] = (byte) (0x75);
            case INNER_BAD_IHL -> good[inner] = (byte) (0x40 | random.nextInt(5)); // header shorter than 20 bytes
            case O_BIT_ON_DATA -> good[nsh] |= 0x20;
            case INNER_LENGTH_LIE -> ByteBuffer.wrap(good).putShort(inner + 2, (short) (93 + random.nextInt(1000)));
        }
        return good;
    }

    /** A next hop that counts what it receives: which valid sequence numbers, how many twice, anything else. */
    static final class CountingSink implements AutoCloseable {
        private final DatagramTransport transport = DatagramTransports.open(DatagramTransports.Kind.AUTO,
                TransportOptions.defaults(new InetSocketAddress("127.0.0.1", 0)).withReusePort(false)
                        .withReceiveTimeout(Duration.ofMillis(50)));
        private final BitSet seen = new BitSet();
        private final AtomicLong count = new AtomicLong();
        private final AtomicLong duplicates = new AtomicLong();
        private final AtomicLong strangers = new AtomicLong();
        private volatile String firstStranger = "none";
        private final Thread thread = Thread.ofPlatform().daemon().name("hostile-sink").start(this::run);

        int port() {
            return transport.localAddress().getPort();
        }

        private void run() {
            PacketBatch batch = new PacketBatch(64, 9216, 0);
            GpeNshPacket packet = new GpeNshPacket();
            while (true) {
                int n = transport.receive(batch);
                if (n < 0) {
                    return;
                }
                for (int i = 0; i < n; i++) {
                    accept(packet, batch.buffer(i), batch.offset(i), batch.length(i));
                }
            }
        }

        private void accept(GpeNshPacket packet, ByteBuffer buf, int offset, int length) {
            if (packet.wrap(buf, offset, length) != io.astaire.wire.WireError.OK) {
                stranger("malformed datagram of " + length + " bytes");
                return;
            }
            NshHeader nsh = packet.nsh();
            byte[] innerBytes = new byte[packet.innerLength()];
            buf.get(packet.innerOffset(), innerBytes);
            int seq = ByteBuffer.wrap(innerBytes).getInt(28);
            if (nsh.spi() != SPI || nsh.si() != 254 || seq < 0 || !Arrays.equals(innerBytes, inner(seq))) {
                stranger("spi " + nsh.spi() + " si " + nsh.si() + " seq " + seq + ", " + innerBytes.length + " bytes");
                return;
            }
            synchronized (seen) {
                if (seen.get(seq)) {
                    duplicates.incrementAndGet();
                }
                seen.set(seq);
            }
            count.incrementAndGet();
        }

        private void stranger(String what) {
            if (strangers.getAndIncrement() == 0) {
                firstStranger = what;
            }
        }

        long count() {
            return count.get();
        }

        BitSet seen() {
            synchronized (seen) {
                return (BitSet) seen.clone();
            }
        }

        long duplicates() {
            return duplicates.get();
        }

        long strangers() {
            return strangers.get();
        }

        String firstStranger() {
            return firstStranger;
        }

        @Override
        public void close() throws InterruptedException {
            transport.close();
            thread.join(2000);
        }
    }
}
