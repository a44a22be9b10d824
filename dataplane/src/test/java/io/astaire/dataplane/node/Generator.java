package io.astaire.dataplane.node;

import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Sends datagrams from a real socket. */
final class Generator implements AutoCloseable {

    private final DatagramTransport transport = DatagramTransports.open(DatagramTransports.Kind.AUTO,
            TransportOptions.defaults(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).withReusePort(false));
    private final PacketBatch batch = new PacketBatch(1, 9216, 0);

    void send(InetSocketAddress to, byte[] datagram) {
        batch.clear().size(1);
        batch.buffer(0).put(0, datagram);
        batch.offset(0, 0).length(0, datagram.length).destination(0, Endpoint.of(to));
        if (transport.send(batch) != 1) {
            throw new IllegalStateException("send failed");
        }
    }

    @Override
    public void close() {
        transport.close();
    }
}
