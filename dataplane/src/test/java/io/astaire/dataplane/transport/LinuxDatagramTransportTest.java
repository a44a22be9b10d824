package io.astaire.dataplane.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LinuxDatagramTransportTest extends DatagramTransportSuite {

    @BeforeEach
    void requireLinux() {
        assumeTrue(DatagramTransports.nativeSupported(), "the recvmmsg/sendmmsg transport needs Linux x86_64/aarch64");
    }

    @Override
    DatagramTransports.Kind kind() {
        return DatagramTransports.Kind.NATIVE;
    }

    @Test
    void reportsTheDestinationOfAnIcmpPortUnreachable() {
        DatagramTransport tx = open();
        DatagramTransport gone = open();
        InetSocketAddress dead = gone.localAddress();
        gone.close(); // nothing listens there now: the kernel answers ICMP port unreachable
        PacketBatch out = new PacketBatch(1, 2048, 0);
        List<InetSocketAddress> reported = new ArrayList<>();
        for (int tries = 0; reported.isEmpty() && tries < 50; tries++) {
            out.size(1);
            fill(out, 0, 64, tries, Endpoint.of(dead));
            tx.send(out);
            // the error surfaces on the next call (here a short receive), then the queue is read
            tx.receive(new PacketBatch(1, 2048, 0));
            tx.drainErrors((destination, errno) -> reported.add(destination));
        }
        assertThat(reported).isNotEmpty();
        assertThat(reported.getFirst()).isEqualTo(dead);
    }
}
