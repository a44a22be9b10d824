package io.astaire.bench;

import io.astaire.dataplane.node.ForwardPathHarness;
import io.astaire.wire.GpeNshPacket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole per-datagram work of an {@code astaire sf} worker without the system calls: the
 * node's own {@code Worker} loop over one batch of 64 datagrams (GPE/NSH and inner decode, TTL
 * check, route lookup, the functions through the {@code PacketContext}, next-hop choice, SI/TTL
 * rewrite, the send batch's slots, per-worker counters and latency histogram), received from
 * and sent to memory instead of a socket. One operation is one datagram.
 *
 * <p>{@code mode=fixed} is what the macro benchmark runs ({@code astaire sf --kind passthrough
 * --next ...}); {@code mode=topology} looks the route up by SPI/SI as a node of a real chain
 * does. Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is the bytes allocated per
 * datagram (the goal is 0).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ForwardPathBenchmark {

    static final int BATCH = 64;

    @Param({"fixed", "topology"})
    public String mode;

    /** Comma-separated function kinds the node applies (e.g. {@code passthrough,counter}). */
    @Param({"passthrough"})
    public String kinds;

    /** Bytes of inner UDP payload (the macro benchmark's sfcgen default is 64). */
    @Param({"64"})
    public int payload;

    private ForwardPathHarness harness;

    @Setup(Level.Trial)
    public void setUp() {
        ByteBuffer datagram = ByteBuffer.allocateDirect(2048);
        int innerOffset = GpeNshPacket.HEADROOM_MD1;
        int innerLength = Packets.ipv4Udp(datagram, innerOffset, 0x0a000001, 0x0a000102, 5000, 6000, payload);
        int start = GpeNshPacket.encapsulateMd1(datagram, innerOffset, innerLength, 10, 255, 63, 1);
        if (start != 0) {
            throw new IllegalStateException("encapsulation started at " + start);
        }
        harness = new ForwardPathHarness(mode, Arrays.asList(kinds.split(",")), datagram, innerOffset + innerLength, BATCH);
        harness.verify(); // a benchmark that silently drops everything would be fast and meaningless
    }

    @TearDown(Level.Trial)
    public void check() {
        harness.verify();
        if (!"none".equals(harness.drops())) {
            throw new IllegalStateException("packets dropped during the run: " + harness.drops());
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int forward() {
        return harness.forwardBatch();
    }
}
