package io.astaire.dataplane.transport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The whole suite again with offloads off: one datagram per message and per slot, as before GSO/GRO. */
class LinuxDatagramTransportOffloadOffTest extends LinuxDatagramTransportTest {

    @Override
    TransportOptions options(TransportOptions defaults) {
        return defaults.withOffload(TransportOptions.Offload.OFF);
    }

    @Test
    void usesNeitherGsoNorGroAndKeepsEverySlotInItsOwnRegion() {
        DatagramTransport rx = open();
        DatagramTransport tx = open();
        assertThat(tx.gsoInUse()).isFalse();
        assertThat(rx.groInUse()).isFalse();
        Endpoint to = Endpoint.of(rx.localAddress());
        PacketBatch out = new PacketBatch(8, 2048, 0).size(8);
        java.util.Map<Integer, Integer> lengths = new java.util.HashMap<>();
        for (int i = 0; i < 8; i++) {
            fill(out, i, 500, i, to);
            lengths.put(i, 500);
        }
        assertThat(tx.send(out)).isEqualTo(8);
        PacketBatch in = new PacketBatch(8, 2048, 32);
        int seen = 0;
        for (int tries = 0; seen < 8 && tries < 50; tries++) {
            int n = rx.receive(in);
            for (int i = 0; i < n; i++) {
                assertThat(in.offset(i)).isEqualTo(32);
                assertThat(in.room(i)).isEqualTo(2048);
                assertThat(in.address(i)).isEqualTo(in.slotAddress(i));
                int seed = in.buffer(i).getInt(in.offset(i));
                assertContent(in, i, lengths.get(seed), seed);
                seen++;
            }
        }
        assertThat(seen).isEqualTo(8);
    }
}
