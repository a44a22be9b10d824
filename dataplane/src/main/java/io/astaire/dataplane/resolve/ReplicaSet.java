package io.astaire.dataplane.resolve;

import io.astaire.wire.FlowKey;

import io.astaire.dataplane.transport.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The replicas a hop name resolves to right now, immutable, with a precomputed choice per flow.
 *
 * <p>A flow goes to the replica with the highest rendezvous (HRW) weight for the flow's slot
 * among the replicas that are up. The weight depends only on the slot and the replica's
 * address, so every node, given the same answer, picks the same replica for the same flow, and
 * the choice for the forward and the reverse direction agree when the flow hash is symmetric.
 * When a replica goes down only its own slots move (to the others); they come back when it does.
 */
public final class ReplicaSet {

    /** Flow-hash slots; a power of two. */
    static final int SLOTS = 1024;

    public static final ReplicaSet EMPTY = new ReplicaSet(List.of(), Set.of());

    private final Endpoint[] all;
    private final Endpoint[] up;
    private final Endpoint[] table;
    // Each replica's address as FlowKey holds one (IPv6: two longs; IPv4: 0 and the address), for addressedTo.
    private final long[] high;
    private final long[] low;

    /**
     * @param replicas every address of the name
     * @param down those to avoid; if that is all of them, all are used (trying beats dropping)
     */
    public ReplicaSet(List<Endpoint> replicas, Set<Endpoint> down) {
        Endpoint[] sorted = replicas.stream().distinct()
                .sorted(Comparator.comparing(Endpoint::toString)).toArray(Endpoint[]::new);
        this.all = sorted;
        this.high = new long[sorted.length];
        this.low = new long[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            java.nio.ByteBuffer raw = java.nio.ByteBuffer.wrap(sorted[i].address().getAddress().getAddress());
            if (raw.capacity() == 4) {
                low[i] = raw.getInt() & 0xffffffffL;
            } else {
                high[i] = raw.getLong();
                low[i] = raw.getLong();
            }
        }
        List<Endpoint> alive = new ArrayList<>();
        for (Endpoint e : sorted) {
            if (!down.contains(e)) {
                alive.add(e);
            }
        }
        this.up = alive.isEmpty() ? sorted : alive.toArray(Endpoint[]::new);
        if (up.length > 1) {
            table = new Endpoint[SLOTS];
            long[] keys = new long[up.length];
            for (int r = 0; r < up.length; r++) {
                keys[r] = key(up[r]);
            }
            for (int s = 0; s < SLOTS; s++) {
                long best = Long.MIN_VALUE;
                int bestIndex = 0;
                for (int r = 0; r < up.length; r++) {
                    long w = mix(keys[r] ^ (s * 0x9E3779B97F4A7C15L));
                    if (w > best) {
                        best = w;
                        bestIndex = r;
                    }
                }
                table[s] = up[bestIndex];
            }
        } else {
            table = null;
        }
    }

    private static long key(Endpoint e) {
        byte[] raw = e.address().getAddress().getAddress();
        long h = 1125899906842597L;
        for (byte b : raw) {
            h = 31 * h + (b & 0xff);
        }
        return mix(h * 31 + e.address().getPort());
    }

    /** SplitMix64's finaliser: a cheap, well-spread 64-bit mix. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Whether {@link #select} looks at the flow hash (more than one replica up). */
    public boolean needsFlowHash() {
        return table != null;
    }

    /** The replica for a flow, or null when the name has no address. */
    public Endpoint select(int flowHash) {
        Endpoint[] t = table;
        if (t != null) {
            int h = flowHash * 0x9E3779B1;
            return t[(h ^ (h >>> 16)) & (SLOTS - 1)];
        }
        return up.length == 0 ? null : up[0];
    }

    /**
     * The replica whose address is the destination of {@code flow}'s inner packet, or null when
     * none is (or there is only one replica: then there is nothing to choose). For a path's last
     * hop when the edges are sidecars: the egress of the server pod the packet is for, the ingress
     * of the client pod a reply is for. Every replica counts, down or not: no other can deliver.
     */
    public Endpoint addressedTo(FlowKey flow) {
        if (all.length < 2) {
            return null;
        }
        boolean v4 = flow.family() == 4;
        long h = v4 ? 0 : flow.destinationHigh();
        long l = v4 ? flow.ipv4Destination() & 0xffffffffL : flow.destinationLow();
        for (int i = 0; i < all.length; i++) {
            if (low[i] == l && high[i] == h && all[i].isIpv4() == v4) {
                return all[i];
            }
        }
        return null;
    }

    /** The replica when there is at most one up (no flow hash needed), else the first. */
    public Endpoint first() {
        return up.length == 0 ? null : up[0];
    }

    public int size() {
        return all.length;
    }

    public int upCount() {
        return up.length;
    }

    public List<Endpoint> all() {
        return List.of(all);
    }

    public List<Endpoint> up() {
        return List.of(up);
    }

    public boolean isEmpty() {
        return all.length == 0;
    }

    @Override
    public String toString() {
        return Arrays.toString(all) + (up.length == all.length ? "" : " up " + Arrays.toString(up));
    }
}
