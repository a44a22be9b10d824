package io.astaire.dataplane.function.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.function.Scrape;
import io.astaire.dataplane.function.TestPacket;
import io.astaire.function.PacketContext;
import io.astaire.function.Verdict;
import io.astaire.wire.pcap.PcapReader;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapFunctionTest {

    private final PrometheusMeterRegistry meters = Configs.registry();

    @TempDir
    Path dir;

    private PcapFunction pcap(String yaml) {
        return Configs.configure(new PcapFunction(), "tap", yaml, meters);
    }

    private double count(String result) {
        return Scrape.value(meters, "astaire_pcap_packets_total", Map.of("function", "tap", "result", result));
    }

    private static List<String> tshark(Path file, String... fields) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-T", "fields"));
        for (String field : fields) {
            command.add("-e");
            command.add(field);
        }
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(false).start();
        } catch (IOException e) {
            assumeTrue(false, "tshark is not installed (apt-get install tshark): " + e.getMessage());
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("tshark failed: " + err).isZero();
        return out.lines().toList();
    }

    @Test
    void tsharkReadsWhatPassed() throws Exception {
        Path file = dir.resolve("sub/tap.pcap");
        PcapFunction f = pcap("file: " + file);
        f.start();
        try {
            assertThat(f.process(TestPacket.tcp("10.0.0.1", 40000, "10.20.0.5", 80).build())).isEqualTo(Verdict.FORWARD);
            f.process(TestPacket.udp("10.0.0.2", 5353, "10.20.0.6", 53).build());
            f.process(TestPacket.icmp("10.0.0.3", "10.20.0.7").build());
            assertThat(count("captured")).isEqualTo(3.0);
            assertThat(count("skipped")).isZero();
        } finally {
            f.stop();
        }
        assertThat(count("captured")).as("a stopped function's meters are removed").isNaN();
        assertThat(tshark(file, "ip.src", "ip.dst")).containsExactly(
                "10.0.0.1\t10.20.0.5", "10.0.0.2\t10.20.0.6", "10.0.0.3\t10.20.0.7");
    }

    @Test
    void tsharkValidatesWhatTheTagFunctionRewrote() throws Exception {
        Path file = dir.resolve("tagged.pcap");
        TagFunction tag = Configs.configure(new TagFunction(), "tag", "text: '|astaire'", meters);
        PcapFunction f = pcap("file: " + file);
        f.start();
        try {
            for (PacketContext ctx : List.of(TestPacket.udp("10.0.0.1", 40000, "10.20.0.5", 9000).payload("hello").build(),
                    TestPacket.udp("2001:db8::1", 40000, "2001:db8::5", 9000).payload("hi").build())) {
                tag.process(ctx);
                f.process(ctx);
            }
        } finally {
            f.stop();
        }
        List<String> lines = tshark(file, "udp.length", "udp.checksum.status", "data.data");
        // tshark checks the checksum only when asked; its status 1 is "Good".
        List<String> checked = tsharkChecked(file);
        assertThat(lines).containsExactly("21\t2\t68656c6c6f7c61737461697265", "18\t2\t68697c61737461697265");
        assertThat(checked).containsExactly("1", "1");
    }

    private static List<String> tsharkChecked(Path file) throws Exception {
        Process p = new ProcessBuilder("tshark", "-n", "-r", file.toString(), "-o", "udp.check_checksum:TRUE",
                "-o", "ip.check_checksum:TRUE", "-T", "fields", "-e", "udp.checksum.status").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out.lines().toList();
    }

    @Test
    void aFullRingSkipsAndCountsWithoutBlocking() throws Exception {
        Path file = dir.resolve("small.pcap");
        PcapFunction f = pcap("file: " + file + "\nslots: 2");
        // Not started: nothing drains the ring, as if the disk had stalled.
        for (int i = 1; i <= 5; i++) {
            assertThat(f.process(TestPacket.udp("10.0.0." + i, 1, "10.0.0.99", 2).build())).isEqualTo(Verdict.FORWARD);
        }
        assertThat(count("captured")).isEqualTo(2.0);
        assertThat(count("skipped")).isEqualTo(3.0);
        f.start();
        f.stop();
        assertThat(tshark(file, "ip.src")).containsExactly("10.0.0.1", "10.0.0.2");
    }

    @Test
    void longPacketsAreCutAtTheSnapLength() throws Exception {
        Path file = dir.resolve("snap.pcap");
        PcapFunction f = pcap("file: " + file + "\nsnapLength: 64");
        f.start();
        f.process(TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).payloadLength(1000).build());
        f.stop();
        PcapReader reader = PcapReader.open(file);
        assertThat(reader.linkType()).isEqualTo(101);
        assertThat(reader.next()).isTrue();
        assertThat(reader.length()).isEqualTo(64);
        assertThat(reader.originalLength()).isEqualTo(1028);
        assertThat(reader.next()).isFalse();
    }

    @Test
    void twoWorkersLoseNoCapturedPacket() throws Exception {
        Path file = dir.resolve("busy.pcap");
        PcapFunction f = pcap("file: " + file + "\nslots: 64");
        f.start();
        int perThread = 20_000;
        List<Thread> threads = new ArrayList<>();
        CyclicBarrier start = new CyclicBarrier(2);
        for (int t = 0; t < 2; t++) {
            int worker = t;
            PacketContext ctx = TestPacket.udp("10.0.0." + (worker + 1), 1, "10.0.0.99", 2).payloadLength(4).build();
            int payloadAt = ctx.innerOffset() + 28;
            threads.add(new Thread(() -> {
                RateLimitFunctionTest.await(start);
                for (int n = 0; n < perThread; n++) {
                    ctx.buffer().putInt(payloadAt, worker << 24 | n); // a unique id per packet
                    f.process(ctx);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
        long captured = (long) count("captured");
        assertThat(captured + (long) count("skipped")).isEqualTo(2L * perThread);
        f.stop();
        PcapReader reader = PcapReader.open(file);
        Set<Integer> ids = new HashSet<>();
        int[] lastPerWorker = {-1, -1};
        while (reader.next()) {
            int id = reader.buffer().getInt(reader.offset() + 28);
            assertThat(ids.add(id)).as("packet %x written twice", id).isTrue();
            int worker = id >>> 24, n = id & 0xffffff;
            assertThat(reader.buffer().get(reader.offset() + 15)).isEqualTo((byte) (worker + 1)); // not torn
            assertThat(n).as("order of worker " + worker).isGreaterThan(lastPerWorker[worker]);
            lastPerWorker[worker] = n;
        }
        assertThat((long) ids.size()).isEqualTo(captured);
    }

    @Test
    void badConfigNamesTheField() {
        assertThatThrownBy(() -> pcap("")).hasMessage("functions.tap.config.file: is required (the pcap file to write)");
        assertThatThrownBy(() -> pcap("file: x.pcap\nslots: 1000"))
                .hasMessage("functions.tap.config.slots: 1000 is not a power of two between 2 and 1048576");
        assertThatThrownBy(() -> pcap("file: x.pcap\nsnapLength: 10")).hasMessage("functions.tap.config.snapLength: 10 is outside 64-65535");
        PcapFunction unwritable = pcap("file: /proc/astaire/x.pcap");
        assertThatThrownBy(unwritable::start).hasMessageStartingWith("functions.tap.config.file: cannot be written: ");
    }
}
