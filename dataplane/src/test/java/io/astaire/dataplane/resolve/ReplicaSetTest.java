package io.astaire.dataplane.resolve;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.dataplane.transport.Endpoint;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaSetTest {

    static Endpoint ep(String ip) throws Exception {
        return Endpoint.of(InetAddress.getByName(ip), 4790);
    }

    @Test
    void emptyAndSingle() throws Exception {
        assertThat(ReplicaSet.EMPTY.select(123)).isNull();
        ReplicaSet one = new ReplicaSet(List.of(ep("10.0.0.1")), Set.of());
        assertThat(one.needsFlowHash()).isFalse();
        assertThat(one.select(987)).isEqualTo(ep("10.0.0.1"));
    }

    @Test
    void spreadsFlowsOverAllReplicasAndTheChoiceDoesNotDependOnAnswerOrder() throws Exception {
        List<Endpoint> replicas = List.of(ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3"));
        List<Endpoint> shuffled = new ArrayList<>(replicas);
        Collections.shuffle(shuffled, new Random(7));
        ReplicaSet a = new ReplicaSet(replicas, Set.of());
        ReplicaSet b = new ReplicaSet(shuffled, Set.of());
        Map<Endpoint, Integer> counts = new HashMap<>();
        Random random = new Random(1);
        for (int i = 0; i < 30_000; i++) {
            int h = random.nextInt();
            assertThat(b.select(h)).isEqualTo(a.select(h));
            counts.merge(a.select(h), 1, Integer::sum);
        }
        assertThat(counts).hasSize(3);
        counts.values().forEach(c -> assertThat(c).isBetween(5_000, 15_000));
    }

    @Test
    void aDownReplicaLosesOnlyItsOwnFlowsAndGetsThemBack() throws Exception {
        List<Endpoint> replicas = List.of(ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3"));
        ReplicaSet all = new ReplicaSet(replicas, Set.of());
        ReplicaSet without2 = new ReplicaSet(replicas, Set.of(ep("10.0.0.2")));
        Random random = new Random(3);
        for (int i = 0; i < 10_000; i++) {
            int h = random.nextInt();
            Endpoint before = all.select(h);
            Endpoint after = without2.select(h);
            assertThat(after).isNotEqualTo(ep("10.0.0.2"));
            if (!before.equals(ep("10.0.0.2"))) {
                assertThat(after).as("flows of live replicas stay put").isEqualTo(before);
            }
        }
        ReplicaSet back = new ReplicaSet(replicas, Set.of());
        for (int i = 0; i < 1000; i++) {
            assertThat(back.select(i * 7919)).isEqualTo(all.select(i * 7919));
        }
    }

    @Test
    void allDownMeansTryThemAllRatherThanDropEverything() throws Exception {
        List<Endpoint> replicas = List.of(ep("10.0.0.1"), ep("10.0.0.2"));
        ReplicaSet s = new ReplicaSet(replicas, Set.copyOf(replicas));
        assertThat(s.upCount()).isEqualTo(2);
        assertThat(s.select(5)).isNotNull();
    }

    @Test
    void addressedToFindsTheReplicaThatIsTheInnerDestination() throws Exception {
        ReplicaSet pods = new ReplicaSet(List.of(ep("10.0.0.1"), ep("10.0.0.2"), ep("fd00::2")), Set.of(ep("10.0.0.2")));
        io.astaire.wire.FlowKey flow = new io.astaire.wire.FlowKey();
        assertThat(pods.addressedTo(flow.ipv4(0x0a000009, 0x0a000002, 6, 1, 2))).as("down, but the only one that can deliver").isEqualTo(ep("10.0.0.2"));
        assertThat(pods.addressedTo(flow.ipv4(0x0a000009, 0x0a000003, 6, 1, 2))).isNull();
        assertThat(pods.addressedTo(flow.ipv6(0, 9, 0xfd00_0000_0000_0000L, 2, 6, 1, 2))).isEqualTo(ep("fd00::2"));
        assertThat(pods.addressedTo(flow.ipv6(0, 9, 0, 0x0a000001L, 6, 1, 2))).as("an IPv6 destination never matches an IPv4 replica").isNull();
        assertThat(new ReplicaSet(List.of(ep("10.0.0.1")), Set.of()).addressedTo(flow.ipv4(9, 0x0a000001, 6, 1, 2)))
                .as("one replica: nothing to choose").isNull();
    }
}
