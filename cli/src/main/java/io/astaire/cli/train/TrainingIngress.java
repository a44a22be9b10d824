package io.astaire.cli.train;

import io.astaire.dataplane.classify.Classifier;
import io.astaire.dataplane.classify.ClassifierTable;
import io.astaire.dataplane.classify.RuleTable;
import io.astaire.dataplane.transport.DatagramTransport;
import io.astaire.dataplane.transport.DatagramTransports;
import io.astaire.dataplane.transport.Endpoint;
import io.astaire.dataplane.transport.PacketBatch;
import io.astaire.dataplane.transport.TransportOptions;
import io.astaire.model.ServicePath;
import io.astaire.wire.FlowKey;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.WireError;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The sending side of the training run, doing per packet what the ingress does between its TUN
 * read and its send: parse the inner packet, classify its flow (flow cache in front of the
 * rules), encapsulate it as VXLAN-GPE + NSH MD1 in the headroom, and send whole batches over UDP.
 * Only the TUN read is replaced, by a copy from {@link TrainingTraffic}: opening a TUN needs root.
 */
public final class TrainingIngress implements AutoCloseable {

    private static final int TTL = NshHeader.MAX_TTL;
    private static final int FLOW_CACHE = 4096;

    private final TrainingTraffic traffic = new TrainingTraffic();
    private final DatagramTransport transport = DatagramTransports.open(DatagramTransports.Kind.AUTO,
            TransportOptions.defaults(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).withReusePort(false));
    private final PacketBatch batch;
    private final InnerPacket inner = new InnerPacket();
    private final FlowKey flow = new FlowKey();
    private final Classifier classifier;
    private int nextFlow;
    private long unclassified;

    /** Classifies with {@code rules}; sends {@code batchSize} datagrams per system call. */
    public TrainingIngress(RuleTable rules, int batchSize) {
        this.classifier = new Classifier(new ClassifierTable(rules), FLOW_CACHE);
        this.batch = new PacketBatch(batchSize, TrainingTraffic.MAX_LENGTH + GpeNshPacket.HEADROOM_MD1, GpeNshPacket.HEADROOM_MD1);
    }

    /** Prepares and sends one batch to {@code node}; returns the datagrams the kernel took. */
    public int sendBatch(Endpoint node) {
        int headroom = batch.headroom();
        batch.clear();
        int n = 0;
        for (int i = 0; i < batch.capacity(); i++) {
            ByteBuffer buf = batch.buffer(n);
            int length = traffic.copy(nextFlow++, buf, headroom);
            if (prepare(buf, n, headroom, length, node)) {
                n++;
            }
        }
        batch.size(n);
        return n == 0 ? 0 : transport.send(batch);
    }

    private boolean prepare(ByteBuffer buf, int n, int headroom, int length, Endpoint node) {
        if (inner.wrap(buf, headroom, length) != WireError.OK) {
            throw new IllegalStateException("a training packet does not parse"); // TrainingTraffic checked them all
        }
        flow.from(inner);
        int spi = classifier.classify(flow);
        if (spi == RuleTable.NO_MATCH) {
            unclassified++;
            return false;
        }
        int nextProtocol = inner.version() == 4 ? NshHeader.NEXT_PROTOCOL_IPV4 : NshHeader.NEXT_PROTOCOL_IPV6;
        int start = GpeNshPacket.encapsulateMd1(buf, headroom, length, spi, ServicePath.INITIAL_SI, TTL, nextProtocol);
        batch.offset(n, start).length(n, length + GpeNshPacket.HEADROOM_MD1).destination(n, node)
                .flowHash(n, flow.symmetricHash());
        return true;
    }

    /** Packets no rule matched (the training rules match every packet of the mix: should stay 0). */
    public long unclassified() {
        return unclassified;
    }

    @Override
    public void close() {
        transport.close();
    }
}
