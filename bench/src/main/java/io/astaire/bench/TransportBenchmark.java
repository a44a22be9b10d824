package io.astaire.bench;

import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.wire.GpeNshPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The node's UDP transport with its system calls: one {@code send} of a batch to a loopback
 * socket and one {@code receive} of it, through the real transport ({@code native} =
 * recvmmsg/sendmmsg through FFM, or {@code nio}). One operation is one send call plus one
 * receive call, so with {@code -prof gc} {@code gc.alloc.rate.norm} is the bytes allocated per
 * pair of calls: divide by {@code batch} for bytes per datagram. What {@link ForwardPathBenchmark}
 * leaves out (it replaces the socket with memory).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TransportBenchmark {

    @Param({"native"})
    public String transport;

    /** UDP GSO/GRO of the native transport: auto or off. */
    @Param({"auto", "off"})
    public String offload;

    /** Datagrams per system call. */
    @Param({"1", "64"})
    public int batch;

    private DatagramTransport sender;
    private DatagramTransport receiver;
    private PacketBatch out;
    private PacketBatch in;

    @Setup(Level.Trial)
    public void setUp() {
        DatagramTransports.Kind kind = DatagramTransports.Kind.parse(transport);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        TransportOptions options = TransportOptions.defaults(any).withReusePort(false).withReceiveTimeout(Duration.ofSeconds(1))
                .withOffload(TransportOptions.Offload.parse(offload));
        sender = DatagramTransports.open(kind, options);
        receiver = DatagramTransports.open(kind, options);
        Endpoint to = Endpoint.of(receiver.localAddress());
        int headroom = GpeNshPacket.HEADROOM_MD1 + 32;
        out = new PacketBatch(batch, 9216, headroom);
        in = new PacketBatch(batch, 9216, headroom);
        for (int i = 0; i < batch; i++) {
            int innerOffset = headroom + GpeNshPacket.HEADROOM_MD1;
            int innerLength = Packets.ipv4Udp(out.buffer(i), innerOffset, 0x0a000001, 0x0a000102, 5000, 6000, 64);
            int start = GpeNshPacket.encapsulateMd1(out.buffer(i), innerOffset, innerLength, 10, 255, 63, 1);
            out.offset(i, start).length(i, innerOffset + innerLength - start).destination(i, to);
        }
        out.size(batch);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sender.close();
        receiver.close();
    }

    @Benchmark
    public int sendAndReceive() {
        int sent = sender.send(out);
        int received = 0;
        while (received < sent) {
            int n = receiver.receive(in);
            if (n <= 0) {
                throw new IllegalStateException("sent " + sent + ", received " + received + " then " + n);
            }
            received += n;
        }
        return received;
    }
}
