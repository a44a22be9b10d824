package io.astaire.bench;

import io.astaire.dataplane.tun.TunDevice;
import io.astaire.dataplane.tun.TunIo;
import io.astaire.model.ChainSpec;
import io.astaire.model.EndpointSpec;
import io.astaire.model.FunctionSpec;
import io.astaire.model.HopAddress;
import io.astaire.model.RuleSpec;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.astaire.wire.FlowKey;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The two halves of {@code bench/new-flows.sh}, run from the benchmarks jar:
 *
 * <pre>
 * topology FILE RULES FIRST_HOP INGRESS   writes a topology of RULES ACL-like rules ({@link RuleSets}) on one chain
 * send TUN SECONDS new|one RULES          writes IPv4 packets of the rule set's trace into TUN (its own device,
 *                                         which the kernel forwards into the ingress's): "new" gives every packet
 *                                         a fresh source port (a new 5-tuple each), "one" sends one flow
 * </pre>
 *
 * One write(2) per packet, from a buffer written once per packet in place: the generator must not
 * be what limits the ingress (the script reports the ingress worker's CPU time beside its rate).
 */
public final class NewFlowTraffic {
    private static final long SEED = 13;

    private NewFlowTraffic() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 5 && args[0].equals("topology")) {
            writeTopology(Path.of(args[1]), Integer.parseInt(args[2]), args[3], args[4]);
        } else if (args.length == 5 && args[0].equals("send")) {
            send(args[1], Integer.parseInt(args[2]), args[3].equals("new"), Integer.parseInt(args[4]));
        } else {
            System.err.println("usage: NewFlowTraffic topology FILE RULES FIRST_HOP INGRESS | send TUN SECONDS new|one RULES");
            System.exit(2);
        }
    }

    private static void writeTopology(Path file, int rules, String firstHop, String ingress) throws Exception {
        List<RuleSpec> specs = RuleSets.generate(RuleSets.Shape.ACL, rules, SEED);
        Topology t = new Topology(List.of(new FunctionSpec("sink", "passthrough", HopAddress.parse(firstHop))),
                List.of(new ChainSpec("c", 10, false, List.of("sink"))), specs,
                new EndpointSpec(HopAddress.parse(ingress)), new EndpointSpec(HopAddress.parse("127.0.0.1:4999")), null);
        Files.writeString(file, TopologyCodec.toYaml(t));
    }

    private static void send(String tunName, int seconds, boolean newFlows, int rules) {
        FlowKey[] trace = RuleSets.trace(RuleSets.generate(RuleSets.Shape.ACL, rules, SEED), 1 << 16, 31);
        try (TunDevice tun = TunDevice.openConfigured(tunName, 1, 1500, List.of())) {
            TunIo io = tun.queue(0).newIo();
            MemorySegment packet = Arena.global().allocate(64, 8);
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            long sent = 0;
            long failed = 0;
            int random = (int) System.nanoTime() | 1; // xorshift state: never 0, and new 5-tuples on every run
            int next = 0;
            while ((sent & 1023) != 0 || System.nanoTime() < end) {
                FlowKey f = trace[newFlows ? next++ & 0xFFFF : 0];
                random ^= random << 13;
                random ^= random >>> 17;
                random ^= random << 5;
                int length = write(packet, f, newFlows ? random & 0xFFFF : f.sourcePort());
                if (io.write(packet.address(), length) < 0) {
                    failed++;
                }
                sent++;
            }
            io.close();
            System.out.printf("sent %d packets (%d refused by the device) in %d s: %.0f packets/s%n", sent, failed, seconds,
                    sent / (double) seconds);
        }
    }

    /**
     * An IPv4 packet of {@code f}'s addresses and protocol, with {@code sourcePort}: 20 bytes of
     * header and 20 of a TCP header (data offset 5), a UDP header and payload, or another protocol's payload.
     */
    private static int write(MemorySegment p, FlowKey f, int sourcePort) {
        ValueLayout.OfInt intBe = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
        ValueLayout.OfShort shortBe = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
        int length = 40;
        p.asSlice(20, 20).fill((byte) 0);
        p.set(intBe, 0, 0x4500_0000 | length);
        p.set(intBe, 4, 0x4000); // DF, no fragment
        p.set(intBe, 8, 64 << 24 | f.protocol() << 16); // TTL, protocol, checksum 0 for now
        p.set(intBe, 12, (int) f.sourceLow());
        p.set(intBe, 16, (int) f.destinationLow());
        p.set(shortBe, 10, (short) checksum(p));
        p.set(shortBe, 20, (short) sourcePort); // UDP/TCP ports, or the start of any other protocol's payload
        p.set(shortBe, 22, (short) f.destinationPort());
        if (f.protocol() == 17) {
            p.set(shortBe, 24, (short) 20); // UDP length; checksum 0 (none), and forwarding checks no L4 checksum
        } else if (f.protocol() == 6) {
            p.set(ValueLayout.JAVA_BYTE, 32, (byte) 0x50); // data offset: 5 words
        }
        return length;
    }

    private static int checksum(MemorySegment p) {
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += p.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), i) & 0xFFFF;
        }
        sum = (sum >>> 16) + (sum & 0xFFFF);
        sum += sum >>> 16;
        return ~sum & 0xFFFF;
    }
}
