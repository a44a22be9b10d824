package io.astaire.wire;

import static io.astaire.wire.Packets.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FlowKeyTest {

    private final InnerPacket packet = new InnerPacket();
    private final ByteBuffer buf = ByteBuffer.allocate(256);

    @Test
    void readsTheFiveTupleOfIpv4Tcp() {
        int length = Packets.ipv4Tcp(buf, 0, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), 40000, 443, 0, 0);
        packet.wrap(buf, 0, length);
        FlowKey key = new FlowKey().from(packet);
        assertThat(key.family()).isEqualTo(4);
        assertThat(key.protocol()).isEqualTo(6);
        assertThat(key.ipv4Source()).isEqualTo(ipv4(10, 0, 0, 1));
        assertThat(key.ipv4Destination()).isEqualTo(ipv4(10, 0, 0, 2));
        assertThat(key.sourceHigh()).isZero();
        assertThat(key.sourcePort()).isEqualTo(40000);
        assertThat(key.destinationPort()).isEqualTo(443);
        assertThat(key).isEqualTo(new FlowKey().ipv4(ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), 6, 40000, 443));
        assertThat(key.toString()).isEqualTo("6 10.0.0.1:40000 -> 10.0.0.2:443");
    }

    @Test
    void replyPacketHasTheSameSymmetricHashAndTheReversedKey() {
        int length = Packets.ipv4Udp(buf, 0, ipv4(10, 0, 0, 1), ipv4(172, 16, 5, 9), 5353, 53, 0);
        packet.wrap(buf, 0, length);
        FlowKey forward = new FlowKey().from(packet);
        length = Packets.ipv4Udp(buf, 0, ipv4(172, 16, 5, 9), ipv4(10, 0, 0, 1), 53, 5353, 0);
        packet.wrap(buf, 0, length);
        FlowKey reply = new FlowKey().from(packet);
        assertThat(reply.symmetricHash()).isEqualTo(forward.symmetricHash());
        assertThat(reply).isNotEqualTo(forward);
        assertThat(reply.copy().reverse()).isEqualTo(forward);
    }

    @Test
    void ipv6KeysAndTheirReverse() {
        long[] a = {0x20010db800000000L, 1L};
        long[] b = {0x20010db800000000L, 2L};
        int length = Packets.ipv6Tcp(buf, 0, a, b, 1000, 2000, 0);
        packet.wrap(buf, 0, length);
        FlowKey key = new FlowKey().from(packet);
        assertThat(key.family()).isEqualTo(6);
        assertThat(key.sourceHigh()).isEqualTo(a[0]);
        assertThat(key.destinationLow()).isEqualTo(2L);
        assertThat(key.toString()).isEqualTo("6 [2001:db8:0:0:0:0:0:1]:1000 -> [2001:db8:0:0:0:0:0:2]:2000");
        FlowKey reverse = key.copy().reverse();
        assertThat(reverse.symmetricHash()).isEqualTo(key.symmetricHash());
        assertThat(reverse.sourceLow()).isEqualTo(2L);
        assertThat(reverse.sourcePort()).isEqualTo(2000);
    }

    @Test
    void icmpEchoUsesTheIdentifierAsPorts() {
        int length = Packets.ipv4IcmpEcho(buf, 0, ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), 777, 1, 0);
        packet.wrap(buf, 0, length);
        FlowKey key = new FlowKey().from(packet);
        assertThat(key.sourcePort()).isEqualTo(777);
        assertThat(key.destinationPort()).isEqualTo(777);
        assertThat(key.protocol()).isEqualTo(1);
    }

    @Test
    void symmetricOnRandomFlowsAndWellSpread() {
        SplittableRandom random = new SplittableRandom(42);
        FlowKey key = new FlowKey();
        int replicas = 8;
        int[] buckets = new int[replicas];
        Set<Integer> hashes = new HashSet<>();
        int flows = 50_000;
        for (int i = 0; i < flows; i++) {
            if (random.nextBoolean()) {
                key.ipv4(random.nextInt(), random.nextInt(), random.nextBoolean() ? 6 : 17, random.nextInt(65536),
                    random.nextInt(65536));
            } else {
                key.ipv6(random.nextLong(), random.nextLong(), random.nextLong(), random.nextLong(), 6,
                    random.nextInt(65536), random.nextInt(65536));
            }
            int hash = key.symmetricHash();
            hashes.add(hash);
            buckets[Math.floorMod(hash, replicas)]++;
            assertThat(key.reverse().symmetricHash()).isEqualTo(hash);
        }
        assertThat(hashes.size()).isGreaterThan(flows - 10);
        for (int count : buckets) {
            assertThat(count).isBetween(flows / replicas * 9 / 10, flows / replicas * 11 / 10);
        }
    }

    @Test
    void directionMattersForEqualsButNotForTheSymmetricHash() {
        FlowKey a = new FlowKey().ipv4(1, 2, 6, 10, 20);
        FlowKey swappedPortsOnly = new FlowKey().ipv4(1, 2, 6, 20, 10);
        assertThat(a.symmetricHash()).isNotEqualTo(swappedPortsOnly.symmetricHash());
        FlowKey otherProtocol = new FlowKey().ipv4(1, 2, 17, 10, 20);
        assertThat(a.symmetricHash()).isNotEqualTo(otherProtocol.symmetricHash());
        assertThat(a).isNotEqualTo(otherProtocol);
    }

    @Test
    void copiesWorkAsMapKeysWhileTheScratchKeyIsReused() {
        Map<FlowKey, Integer> flows = new HashMap<>();
        FlowKey scratch = new FlowKey();
        for (int i = 0; i < 100; i++) {
            flows.put(scratch.ipv4(i, 1000 + i, 6, i, 80).copy(), i);
        }
        for (int i = 0; i < 100; i++) {
            assertThat(flows.get(scratch.ipv4(i, 1000 + i, 6, i, 80))).isEqualTo(i);
        }
        assertThat(flows.get(scratch.ipv4(1, 1001, 6, 2, 80))).isNull();
    }
}
