package io.astaire.cli.train;

import io.astaire.wire.Checksums;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.Ipv4Header;
import io.astaire.wire.Ipv6Header;
import io.astaire.wire.TcpHeader;
import io.astaire.wire.UdpHeader;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;

/**
 * The inner packets of the training run, built once: a fixed mix of flows shaped like what a
 * chain carries (mostly IPv4/UDP with 64 bytes of payload, as the benchmark's generator sends;
 * some IPv4/TCP, a few of them to the port the training ACL denies; ICMP echo; IPv6/UDP), with
 * real lengths and checksums, so that every parser and function on the path takes its common
 * branches while the JVM records them.
 */
public final class TrainingTraffic {

    /** Distinct flows (source ports) the mix cycles through: enough to fill a flow cache a little. */
    public static final int FLOWS = 1024;
    /** The destination port the training ACL denies (telnet, as in examples/chain.yaml). */
    public static final int DENIED_PORT = 23;
    /** The longest packet of the mix, in bytes. */
    public static final int MAX_LENGTH = 40 + 20 + 512;

    private static final int SLOT = 1024;
    private static final int MIX = 16; // flow % MIX picks the kind of packet
    private static final int UDP_PAYLOAD = 64;
    private static final int TCP_PAYLOAD = 512;
    private static final int ICMP_PAYLOAD = 56;
    private static final int CLIENT = 0x0A000000 | (1 << 8); // 10.0.1.x
    private static final int SERVER = 0x0A140000; // 10.20.x.y
    private static final long IPV6_PREFIX = 0x20010DB800000000L; // 2001:db8::/32

    private final ByteBuffer packets = ByteBuffer.allocate(FLOWS * SLOT);
    private final int[] lengths = new int[FLOWS];
    private final Ipv4Header ipv4 = new Ipv4Header();
    private final Ipv6Header ipv6 = new Ipv6Header();
    private final UdpHeader udp = new UdpHeader();
    private final TcpHeader tcp = new TcpHeader();
    private final InnerPacket view = new InnerPacket();

    public TrainingTraffic() {
        for (int flow = 0; flow < FLOWS; flow++) {
            lengths[flow] = write(flow * SLOT, flow);
        }
    }

    /** The packet of {@code flow} (modulo {@link #FLOWS}): copied into {@code into} at {@code offset}; returns its length. */
    public int copy(int flow, ByteBuffer into, int offset) {
        int f = Math.floorMod(flow, FLOWS);
        into.put(offset, packets, f * SLOT, lengths[f]);
        return lengths[f];
    }

    private int write(int at, int flow) {
        int kind = flow % MIX;
        int sourcePort = 20_000 + flow;
        int client = CLIENT | (flow & 0xFF);
        int server = SERVER | ((flow >>> 4) & 0xFFFF);
        int length;
        if (kind < 10) {
            length = ipv4(at, InnerPacket.PROTOCOL_UDP, client, server, UdpHeader.LENGTH + UDP_PAYLOAD);
            udp(at + Ipv4Header.MIN_LENGTH, sourcePort, 53 + kind, UDP_PAYLOAD);
        } else if (kind < 13) {
            int port = kind == 12 && (flow & 0x30) == 0 ? DENIED_PORT : 443;
            length = ipv4(at, InnerPacket.PROTOCOL_TCP, client, server, TcpHeader.MIN_LENGTH + TCP_PAYLOAD);
            tcp(at + Ipv4Header.MIN_LENGTH, sourcePort, port, flow, TCP_PAYLOAD);
        } else if (kind == 13) {
            length = ipv4(at, InnerPacket.PROTOCOL_ICMP, client, server, 8 + ICMP_PAYLOAD);
            icmpEcho(at + Ipv4Header.MIN_LENGTH, flow, ICMP_PAYLOAD);
        } else {
            length = ipv6(at, InnerPacket.PROTOCOL_UDP, flow, UdpHeader.LENGTH + UDP_PAYLOAD);
            udp(at + 40, sourcePort, 53, UDP_PAYLOAD);
        }
        WireError error = view.wrap(packets, at, length);
        if (error != WireError.OK) {
            throw new IllegalStateException("training packet of flow " + flow + " does not parse: " + error);
        }
        Checksums.updateAll(packets, view);
        return length;
    }

    private int ipv4(int at, int protocol, int source, int destination, int l4Length) {
        int total = Ipv4Header.MIN_LENGTH + l4Length;
        packets.put(at, (byte) 0x45).put(at + 1, (byte) 0).putShort(at + 4, (short) 0).putShort(at + 6, (short) 0x4000)
                .put(at + 9, (byte) protocol);
        ipv4.wrap(packets, at).totalLength(total).ttl(64).source(source).destination(destination).checksum(0);
        return total;
    }

    private int ipv6(int at, int nextHeader, int flow, int payloadLength) {
        packets.putInt(at, 6 << 28).put(at + 6, (byte) nextHeader);
        ipv6.wrap(packets, at).payloadLength(payloadLength).hopLimit(64)
                .source(IPV6_PREFIX | 1, flow).destination(IPV6_PREFIX | 2, 1);
        return 40 + payloadLength;
    }

    private void udp(int at, int sourcePort, int destinationPort, int payload) {
        udp.wrap(packets, at).sourcePort(sourcePort).destinationPort(destinationPort).length(UdpHeader.LENGTH + payload).checksum(0);
        fill(at + UdpHeader.LENGTH, payload);
    }

    private void tcp(int at, int sourcePort, int destinationPort, int sequence, int payload) {
        tcp.wrap(packets, at).sourcePort(sourcePort).destinationPort(destinationPort).checksum(0);
        packets.putInt(at + 4, sequence).putInt(at + 8, 0)
                .put(at + 12, (byte) ((TcpHeader.MIN_LENGTH / 4) << 4)).put(at + 13, (byte) (TcpHeader.ACK | TcpHeader.PSH))
                .putShort(at + 14, (short) 0xFFFF).putShort(at + 18, (short) 0);
        fill(at + TcpHeader.MIN_LENGTH, payload);
    }

    private void icmpEcho(int at, int flow, int payload) {
        packets.put(at, (byte) 8).put(at + 1, (byte) 0).putShort(at + 2, (short) 0)
                .putShort(at + 4, (short) flow).putShort(at + 6, (short) 1);
        fill(at + 8, payload);
    }

    private void fill(int at, int length) {
        for (int i = 0; i < length; i++) {
            packets.put(at + i, (byte) i);
        }
    }
}
