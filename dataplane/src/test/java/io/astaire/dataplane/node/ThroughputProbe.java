package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;

import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.model.HopAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A quick, unscientific throughput probe (not a test; the lead's benchmark is the reference):
 * one fixed-mode passthrough node between a sendmmsg generator and a recvmmsg sink, all in this
 * process on loopback. Prints datagrams/s received by the sink, and the workers' CPU time per
 * packet (which says more than the rate on a shared, loaded machine).
 *
 * <pre>java -cp cli/target/astaire.jar:dataplane/target/test-classes --enable-native-access=ALL-UNNAMED \
 *   io.astaire.dataplane.node.ThroughputProbe [seconds] [workers] [transport] [payload]</pre>
 */
public final class ThroughputProbe {

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int workers = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        DatagramTransports.Kind kind = args.length > 2 ? DatagramTransports.Kind.parse(args[2]) : DatagramTransports.Kind.AUTO;
        int payload = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        TransportOptions loopback = TransportOptions.defaults(new InetSocketAddress("127.0.0.1", 0)).withReusePort(false);
        DatagramTransport sink = DatagramTransports.open(DatagramTransports.Kind.NATIVE, loopback);
        DatagramTransport gen = DatagramTransports.open(DatagramTransports.Kind.NATIVE, loopback);
        try (SfNode node = SfNode.builder().fixed(List.of("passthrough"), HopAddress.parse("127.0.0.1:" + sink.localAddress().getPort()))
                .listen(new InetSocketAddress("127.0.0.1", 0)).workers(workers).transport(kind).start()) {
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong received = new AtomicLong();
            AtomicLong sent = new AtomicLong();
            Thread rx = Thread.ofPlatform().start(() -> {
                PacketBatch b = new PacketBatch(64, 2048, 0);
                while (running.get()) {
                    int n = sink.receive(b);
                    if (n > 0) {
                        received.addAndGet(n);
                    }
                }
            });
            Thread tx = Thread.ofPlatform().start(() -> {
                PacketBatch b = new PacketBatch(64, 2048, 0);
                Endpoint to = Endpoint.of(node.localAddress());
                for (int i = 0; i < 64; i++) {
                    byte[] d = TestPackets.nsh(10, 255, 63, TestPackets.udp4(ip("10.0.0.1"), ip("10.0.0.2"), 1000 + i, 80, payload, i));
                    b.buffer(i).put(0, d);
                    b.offset(i, 0).length(i, d.length).destination(i, to);
                }
                b.size(64);
                while (running.get()) {
                    sent.addAndGet(gen.send(b));
                }
            });
            Thread.sleep(2000); // warm-up
            var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            List<Thread> workerThreads = node.workerThreads();
            long cpu0 = workerThreads.stream().mapToLong(t -> mx.getThreadCpuTime(t.threadId())).sum();
            double handled0 = Metrics.value(node.scrape(), "astaire_sf_datagrams_received_total");
            long r0 = received.get();
            long s0 = sent.get();
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long r1 = received.get();
            long s1 = sent.get();
            long cpu1 = workerThreads.stream().mapToLong(t -> mx.getThreadCpuTime(t.threadId())).sum();
            double handled1 = Metrics.value(node.scrape(), "astaire_sf_datagrams_received_total");
            double secs = (System.nanoTime() - t0) / 1e9;
            running.set(false);
            rx.join();
            tx.join();
            System.out.printf("transport=%s workers=%d payload=%dB: offered %.0f pps, forwarded %.0f pps%n",
                    DatagramTransports.effective(kind), workers, payload, (s1 - s0) / secs, (r1 - r0) / secs);
            double nsPerPacket = (cpu1 - cpu0) / Math.max(1, handled1 - handled0);
            System.out.printf("worker CPU: %.0f ns per packet the node handled (about %.0f pps per fully used core)%n",
                    nsPerPacket, 1e9 / nsPerPacket);
            System.out.println(node.scrape().lines().filter(l -> l.startsWith("astaire_sf_dropped") && !l.endsWith(" 0.0")).toList());
        } finally {
            sink.close();
            gen.close();
        }
    }
}
