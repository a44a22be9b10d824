package io.astaire.dataplane.node;

import io.astaire.dataplane.oam.EchoResponder;
import io.astaire.dataplane.oam.OamEcho;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test endpoint that records every datagram it receives (decoded), on a real socket. NSH OAM
 * datagrams (a resolver's probes) are not recorded; a sink made with {@code answersEcho} answers
 * echo requests as a node does, so a resolver takes it back as a live replica.
 */
final class Sink implements AutoCloseable {

    final DatagramTransport transport;
    final List<TestPackets.Received> received = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final String name;
    private final EchoResponder echo;

    Sink(String name, InetSocketAddress bind) {
        this(name, bind, false);
    }

    Sink(String name, InetSocketAddress bind, boolean answersEcho) {
        this.name = name;
        this.echo = answersEcho ? new EchoResponder() : null;
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
                if (OamEcho.isOam(batch.buffer(i), batch.offset(i), batch.length(i))) {
                    if (echo != null) {
                        echo.answer(transport, batch.buffer(i), batch.offset(i), batch.length(i));
                    }
                    continue;
                }
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
