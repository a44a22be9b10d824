package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.model.HopAddress;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The packet path allocates nothing in steady state: the bytes a worker thread allocates while it
 * forwards many thousands of packets (after a warm-up) stay near zero. Measured with the JVM's
 * per-thread allocation counter, for both transports.
 */
class SfNodeAllocationTest {

    @Test
    void nativeWorkersAllocateNothingPerPacket() throws Exception {
        assumeTrue(DatagramTransports.nativeSupported(), "the native transport needs Linux x86_64/aarch64");
        check(DatagramTransports.Kind.NATIVE);
    }

    @Test
    void nioWorkersAllocateNothingPerPacket() throws Exception {
        check(DatagramTransports.Kind.NIO);
    }

    private void check(DatagramTransports.Kind kind) throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "this JVM does not count per-thread allocations");
        try (Sink sink = new Sink("sink", new InetSocketAddress("127.0.0.1", 0));
             Generator gen = new Generator();
             SfNode node = SfNode.builder()
                     .fixed(List.of("stamp", "drop-port-9"), HopAddress.parse("127.0.0.1:" + sink.address().getPort()))
                     .listen(new InetSocketAddress("127.0.0.1", 0)).workers(1).transport(kind)
                     .functionFactory(TestFunctions::create).start()) {
            Thread worker = node.workerThreads().getFirst();
            byte[][] packets = new byte[64][];
            for (int i = 0; i < packets.length; i++) {
                // flows of all kinds: forwarded, dropped by a function, TTL expired, malformed
                byte[] inner = TestPackets.udp4(ip("10.0.0.1") + i, ip("10.0.0.2"), 1000 + i, i % 8 == 0 ? 9 : 80, 64, i);
                packets[i] = i % 16 == 5 ? new byte[] {9, 9, 9} : TestPackets.nsh(10, 255, i % 16 == 7 ? 1 : 63, inner);
            }
            int warmup = 30_000;
            for (int n = 0; n < warmup; n++) {
                gen.send(node.localAddress(), packets[n % packets.length]);
            }
            // (a few may be lost in socket buffers on a busy machine; the count only has to settle)
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    Metrics.value(node.scrape(), "astaire_sf_datagrams_received_total") >= warmup - 1000);
            Thread.sleep(300);
            long before = threads.getThreadAllocatedBytes(worker.threadId());
            double receivedBefore = Metrics.value(node.scrape(), "astaire_sf_datagrams_received_total");
            int measured = 20_000;
            for (int n = 0; n < measured; n++) {
                gen.send(node.localAddress(), packets[n % packets.length]);
            }
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    Metrics.value(node.scrape(), "astaire_sf_datagrams_received_total") >= receivedBefore + measured - 500);
            long after = threads.getThreadAllocatedBytes(worker.threadId());
            double processed = Metrics.value(node.scrape(), "astaire_sf_datagrams_received_total") - receivedBefore;
            assertThat(processed).isGreaterThan(measured / 2.0);
            // a few idle wake-ups may allocate (the NIO selector); per packet it must be nothing
            assertThat((after - before) / processed).as("bytes allocated per packet by the worker (%d B for %.0f packets)",
                    after - before, processed).isLessThan(1.0);
        }
    }
}
