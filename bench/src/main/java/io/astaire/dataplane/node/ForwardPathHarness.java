package io.astaire.dataplane.node;

import io.astaire.dataplane.counters.DropReason;
import io.astaire.dataplane.counters.StripedCounters;
import io.astaire.dataplane.forward.ForwardingTable;
import io.astaire.dataplane.function.FunctionRegistry;
import io.astaire.dataplane.resolve.ResolvedHop;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.model.FunctionSpec;
import io.astaire.model.HopAddress;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.NshHeader;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The node's real {@link Worker}, built the way {@link SfNode} builds it, over an in-memory
 * transport instead of a socket: {@link #forwardBatch()} runs one turn of the worker ({@code doWork()}:
 * one batch (decode, TTL check, route lookup, functions through the {@code PacketContext}, next
 * hop, SI/TTL rewrite, send-batch slots, counters, latency histogram), with no system call.
 *
 * <p>It lives in the node's package, in the bench module (a split package, fine on the class
 * path), because {@code Worker}, {@code NodeState} and the counters are package-private: this
 * drives them as they are rather than adding a hook to the node for benchmarks.
 */
public final class ForwardPathHarness {

    /** Where the next hop is; never contacted (nothing is sent). */
    private static final int NEXT_PORT = 19100;

    private final PacketBatch batch;
    private final MemoryTransport transport;
    private final Worker worker;
    private final StripedCounters counters;
    private final Endpoint next;
    private final int functionCount;

    /**
     * @param mode {@code fixed} (the benchmark's {@code astaire sf --kind ... --next ...}: one
     *     static route) or {@code topology} (a chain from a topology, routes looked up by SPI/SI)
     * @param kinds function kinds this node applies in order to every packet
     * @param template one VXLAN-GPE + NSH datagram (SPI 10, SI 255, TTL 63) at {@code [0, length)}
     * @param batchSize datagrams per receive, as the node's {@code --batch} (default 64)
     */
    public ForwardPathHarness(String mode, List<String> kinds, ByteBuffer template, int length, int batchSize) {
        this.functionCount = kinds.size();
        MeterRegistry meters = new SimpleMeterRegistry();
        FunctionRegistry registry = FunctionRegistry.load();
        this.next = Endpoint.of(loopback(), NEXT_PORT);
        NodeState state = switch (mode) {
            case "fixed" -> fixedState(kinds, registry, meters);
            case "topology" -> topologyState(kinds, registry, meters);
            default -> throw new IllegalArgumentException("mode must be fixed or topology, was " + mode);
        };
        this.counters = new StripedCounters(NodeCounts.LAYOUT, 1);
        // As SfNode.openWorkers: headroom for an MD1 encapsulation plus slack, 9216-byte slots.
        this.batch = new PacketBatch(batchSize, 9216, GpeNshPacket.HEADROOM_MD1 + 32);
        this.transport = new MemoryTransport(template, length);
        this.worker = new Worker(0, transport, () -> state, counters.stripe(0), new LatencyHistogram(1), batch, null,
                new io.astaire.dataplane.oam.TraceReporter("sf", null, () -> "bench"));
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static LocalFunction instantiate(FunctionSpec spec, FunctionRegistry registry, MeterRegistry meters) {
        var f = registry.instantiate(spec, meters);
        f.start();
        return new LocalFunction(spec.name(), spec.kind(), f, 1);
    }

    /** What SfNode.start() builds in fixed mode. */
    private NodeState fixedState(List<String> kinds, FunctionRegistry registry, MeterRegistry meters) {
        List<LocalFunction> list = new ArrayList<>();
        for (int i = 0; i < kinds.size(); i++) {
            String name = i == 0 ? kinds.get(i) : kinds.get(i) + "-" + (i + 1);
            list.add(instantiate(new FunctionSpec(name, kinds.get(i), Map.of(), new HopAddress("127.0.0.1", 19001), 1), registry, meters));
        }
        ResolvedHop hop = ResolvedHop.fixed(new HopAddress("127.0.0.1", NEXT_PORT), next);
        ForwardingTable<LocalFunction> table = ForwardingTable.fixed(list.toArray(LocalFunction[]::new),
                list.stream().map(LocalFunction::name).toArray(String[]::new), hop);
        return new NodeState(table, new PathStats[0], new PathStats("any", 1), list, List.of());
    }

    /** What SfNode.buildState() builds: this node hosts the chain's first functions, the rest is elsewhere. */
    private NodeState topologyState(List<String> kinds, FunctionRegistry registry, MeterRegistry meters) {
        StringBuilder yaml = new StringBuilder("functions:\n");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < kinds.size(); i++) {
            names.add("f" + i);
            yaml.append("  - {name: f").append(i).append(", kind: ").append(kinds.get(i)).append(", address: \"127.0.0.1:19001\"}\n");
        }
        yaml.append("  - {name: tail, kind: passthrough, address: \"127.0.0.1:").append(NEXT_PORT).append("\"}\n");
        // Other chains first, so the route map holds more than the one entry the packets hit.
        yaml.append("chains:\n")
                .append("  - {name: other, spi: 7, functions: [tail]}\n")
                .append("  - {name: bench, spi: 10, functions: [").append(String.join(", ", names)).append(", tail]}\n")
                .append("ingress: {address: \"127.0.0.1:4790\"}\negress: {address: \"127.0.0.1:4799\"}\n");
        Topology t = TopologyCodec.parse(yaml.toString());
        Map<String, LocalFunction> local = new LinkedHashMap<>();
        for (String name : names) {
            local.put(name, instantiate(t.function(name), registry, meters));
        }
        ForwardingTable<LocalFunction> table = ForwardingTable.builder(LocalFunction[]::new)
                .localFunctions(local)
                .hops(h -> ResolvedHop.fixed(h, Endpoint.of(new InetSocketAddress(h.host(), h.port()))))
                .build(1, t);
        PathStats[] stats = new PathStats[table.paths().size()];
        for (int i = 0; i < stats.length; i++) {
            stats[i] = new PathStats(Integer.toString(table.paths().get(i).spi()), 1);
        }
        return new NodeState(table, stats, null, List.copyOf(local.values()), List.of(stats));
    }

    /** Runs the worker's loop for one batch of {@code batchSize} datagrams; returns how many it sent. */
    public int forwardBatch() {
        transport.arm();
        worker.doWork();
        return transport.lastSent;
    }

    /**
     * Forwards one batch and checks the result as the next hop would: every datagram sent to the
     * next hop, SI lowered by the number of functions, TTL by one, nothing dropped.
     *
     * @throws IllegalStateException naming what is wrong
     */
    public void verify() {
        int sent = forwardBatch();
        NshHeader nsh = new NshHeader();
        for (int i = 0; i < batch.size(); i++) {
            if (!next.equals(batch.destination(i))) {
                throw new IllegalStateException("slot " + i + " not sent to " + next + " but to " + batch.destination(i)
                        + "; drops: " + drops());
            }
            nsh.wrap(batch.buffer(i), batch.offset(i) + 8);
            if (nsh.si() != 255 - functionCount || nsh.ttl() != 62) {
                throw new IllegalStateException("slot " + i + " left with SI " + nsh.si() + " TTL " + nsh.ttl());
            }
        }
        if (sent != batch.size()) {
            throw new IllegalStateException("sent " + sent + " of " + batch.size() + "; drops: " + drops());
        }
    }

    /** Drops by reason so far (for a failed check). */
    public String drops() {
        StringBuilder sb = new StringBuilder();
        for (DropReason r : DropReason.values()) {
            if (!r.atNode() || r == DropReason.MALFORMED) {
                continue;
            }
            long n = counters.sum(NodeCounts.reason(r));
            if (n > 0) {
                sb.append(r).append('=').append(n).append(' ');
            }
        }
        return sb.isEmpty() ? "none" : sb.toString().trim();
    }

    /** Datagrams the worker has seen (its DATAGRAMS counter). */
    public long datagrams() {
        return counters.sum(NodeCounts.DATAGRAMS);
    }

    /**
     * A transport whose receive fills the batch with the template datagram once per
     * {@link #arm()} (restoring the NSH words the previous pass rewrote, instead of copying the
     * whole datagram as the kernel would); {@code Worker.doWork()} takes exactly one batch.
     * Send counts the slots that have a destination.
     */
    private static final class MemoryTransport implements DatagramTransport {
        private final ByteBuffer template;
        private final int length;
        private final long nshBase;
        private final long nshPath;
        private boolean armed;
        private boolean filled;
        int lastSent;

        MemoryTransport(ByteBuffer template, int length) {
            this.template = template;
            this.length = length;
            this.nshBase = template.getLong(8) >>> 32;
            this.nshPath = template.getLong(8) & 0xffff_ffffL;
        }

        void arm() {
            armed = true;
        }

        @Override
        public int receive(PacketBatch batch) {
            if (!armed) {
                return -1;
            }
            armed = false;
            int headroom = batch.headroom();
            if (!filled) {
                for (int i = 0; i < batch.capacity(); i++) {
                    batch.buffer(i).put(headroom, template, 0, length);
                }
                filled = true;
            }
            long word = (nshBase << 32) | nshPath;
            for (int i = 0; i < batch.capacity(); i++) {
                batch.buffer(i).putLong(headroom + 8, word); // NSH base + service path header: TTL, SI
                batch.offset(i, headroom).length(i, length).destination(i, null);
            }
            batch.size(batch.capacity());
            return batch.capacity();
        }

        @Override
        public int send(PacketBatch batch) {
            int sent = 0;
            for (int i = 0; i < batch.size(); i++) {
                if (batch.destination(i) != null) {
                    sent++;
                }
            }
            lastSent = sent;
            return sent;
        }

        @Override
        public int drainErrors(UnreachableListener listener) {
            return 0;
        }

        @Override
        public boolean reportsUnreachable() {
            return false;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress(loopback(), 19001);
        }

        @Override
        public void close() {}
    }
}
