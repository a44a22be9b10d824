package io.astaire.bench;

import io.astaire.wire.FlowKey;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-packet decode work of every hop: validate VXLAN-GPE + NSH, validate the inner IPv4/UDP
 * packet, extract the 5-tuple and its symmetric hash, then rewrite SI and TTL in place. Run with
 * {@code -prof gc} to see the bytes allocated per operation (the goal is 0).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class WireBenchmark {

    private final ByteBuffer datagram = ByteBuffer.allocateDirect(2048);
    private final GpeNshPacket packet = new GpeNshPacket();
    private final InnerPacket inner = new InnerPacket();
    private final FlowKey flow = new FlowKey();
    private int length;

    @Setup
    public void setUp() {
        int innerOffset = GpeNshPacket.HEADROOM_MD1;
        int innerLength = Packets.ipv4Udp(datagram, innerOffset, 0x0a000001, 0x0a000102, 5000, 6000, 64);
        int start = GpeNshPacket.encapsulateMd1(datagram, innerOffset, innerLength, 10, 255, 63, 1);
        length = innerOffset + innerLength - start;
    }

    @Benchmark
    public int decodeAndRewrite() {
        if (packet.wrap(datagram, 0, length) != WireError.OK) {
            return -1;
        }
        if (inner.wrap(datagram, packet.innerOffset(), packet.innerLength()) != WireError.OK) {
            return -2;
        }
        int hash = flow.from(inner).symmetricHash();
        packet.nsh().si(255).ttl(63);
        return hash;
    }
}
