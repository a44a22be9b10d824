package io.astaire.bench;

import io.astaire.wire.offload.GsoSplitter;
import io.astaire.wire.offload.TcpCoalescer;
import io.astaire.wire.offload.VirtioNetHeader;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the edges do with a TCP stream's vectors, per segment: the ingress cuts a 64 KB TSO
 * super-packet (virtio_net_hdr + IPv4/TCP, 45 segments of 1448 bytes) into ordinary packets with
 * their own checksums; the egress glues the 45 segments of one flow back into one super-packet
 * (checking each segment's checksums, copying its payload). Scores are per segment; run with
 * {@code -prof gc} to see the bytes allocated (the goal is 0).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class OffloadBenchmark {
    static final int SEGMENTS = 45;
    static final int MSS = 1448;
    private static final int SEGMENT_ROOM = 1600;

    private final ByteBuffer superPacket = ByteBuffer.allocateDirect(VirtioNetHeader.LENGTH + 65535);
    private final ByteBuffer segments = ByteBuffer.allocateDirect(SEGMENTS * SEGMENT_ROOM);
    private final int[] segmentLength = new int[SEGMENTS];
    private final GsoSplitter splitter = new GsoSplitter();
    private final TcpCoalescer coalescer = new TcpCoalescer(8);
    private int packetLength;

    @Setup
    public void setUp() {
        packetLength = Packets.ipv4Tcp(superPacket, VirtioNetHeader.LENGTH, 0x0a010002, 0x0a020002, 1_000_000, SEGMENTS * MSS, true);
        new VirtioNetHeader().wrap(superPacket, 0).flags(VirtioNetHeader.F_NEEDS_CSUM).gsoType(VirtioNetHeader.GSO_TCPV4)
                .hdrLen(52).gsoSize(MSS).csumStart(20).csumOffset(16);
        if (split() != SEGMENTS * (52 + MSS)) {
            throw new IllegalStateException("the super-packet did not cut into " + SEGMENTS + " segments: " + splitter.error());
        }
        coalesce();
        if (coalescer.itemCount() != 1 || coalescer.segments(0) != SEGMENTS) {
            throw new IllegalStateException("the segments did not glue into one super-packet: " + coalescer.itemCount() + " items");
        }
    }

    /** Ingress: prepare and write every segment, checksums included. */
    @Benchmark
    @OperationsPerInvocation(SEGMENTS)
    public int split() {
        int n = splitter.prepare(superPacket, 0, packetLength);
        int bytes = 0;
        for (int k = 0; k < n; k++) {
            segmentLength[k] = splitter.writeSegment(k, segments, k * SEGMENT_ROOM);
            bytes += segmentLength[k];
        }
        return bytes;
    }

    /** Egress: one batch of the flow's 45 in-order segments glued into one super-packet. */
    @Benchmark
    @OperationsPerInvocation(SEGMENTS)
    public int coalesce() {
        coalescer.reset();
        for (int k = 0; k < SEGMENTS; k++) {
            coalescer.add(segments, k * SEGMENT_ROOM, segmentLength[k], k);
        }
        return coalescer.groupLength(0);
    }
}
