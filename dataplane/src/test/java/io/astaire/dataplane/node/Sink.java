package io.astaire.dataplane.node;

import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A test endpoint that records every datagram it receives (decoded), on a real socket. */
final class Sink implements AutoCloseable {

    final DatagramTransport transport;
    final List<TestPackets.Received> received = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final String name;

    Sink(String name, InetSocketAddress bind) {
        this.name = name;
        this.transport = DatagramTransports.open(DatagramTransports.Kind.AUTO,
                TransportOptions.defaults(bind).withReusePort(false).withReceiveTimeout(Duration.ofMillis(50)));
        this.thread = Thread.ofPlatform().daemon().name("sink-" + name).start(this::run);
    }

    private void run() {
        PacketBatch batch = new PacketBatch(32, 9216, 0);
        while (true) {
            int n = transport.receive(batch);
            if (n < 0) {
                return;
            }
            for (int i = 0; i < n; i++) {
                byte[] copy = new byte[batch.length(i)];
                batch.buffer(i).get(batch.offset(i), copy);
                received.add(TestPackets.decode(copy, name));
            }
        }
    }

    InetSocketAddress address() {
        return transport.localAddress();
    }

    @Override
    public void close() throws InterruptedException {
        transport.close();
        thread.join(2000);
    }
}
