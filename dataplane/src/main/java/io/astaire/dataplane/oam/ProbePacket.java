package io.astaire.dataplane.oam;

import io.astaire.wire.Checksums;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.WireError;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Builds the inner packet of a trace probe: the first packet a client of the flow would send (a
 * TCP SYN, a UDP datagram, an ICMP echo request, or a bare IP packet of another protocol), with
 * valid checksums, so the classifier and the functions see what they would see of real traffic.
 */
public final class ProbePacket {

    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int ICMP = 1;
    public static final int ICMPV6 = 58;
    private static final byte[] PAYLOAD = "astaire trace".getBytes(StandardCharsets.US_ASCII);

    private ProbePacket() {}

    /**
     * The packet for {@code protocol} (an IP protocol number) between two addresses of one family;
     * ports only for TCP and UDP.
     *
     * @throws IllegalArgumentException when the families differ
     */
    public static byte[] build(int protocol, InetAddress source, int sourcePort, InetAddress destination, int destinationPort,
                               int identifier) {
        boolean v6 = source instanceof Inet6Address;
        if (v6 != destination instanceof Inet6Address) {
            throw new IllegalArgumentException("source " + source.getHostAddress() + " and destination "
                    + destination.getHostAddress() + " are of different IP versions");
        }
        int ipHeader = v6 ? 40 : 20;
        int l4 = switch (protocol) {
            case TCP -> 20;
            case UDP -> 8 + PAYLOAD.length;
            case ICMP, ICMPV6 -> 8 + PAYLOAD.length;
            default -> PAYLOAD.length;
        };
        int total = ipHeader + l4;
        ByteBuffer b = ByteBuffer.allocate(total);
        if (v6) {
            b.putInt(0, 6 << 28).putShort(4, (short) l4).put(6, (byte) protocol).put(7, (byte) 64);
            b.put(8, source.getAddress()).put(24, destination.getAddress());
        } else {
            b.put(0, (byte) 0x45).putShort(2, (short) total).putShort(4, (short) identifier).putShort(6, (short) 0x4000)
                    .put(8, (byte) 64).put(9, (byte) protocol);
            b.put(12, source.getAddress()).put(16, destination.getAddress());
        }
        int at = ipHeader;
        switch (protocol) {
            case TCP -> b.putShort(at, (short) sourcePort).putShort(at + 2, (short) destinationPort)
                    .putInt(at + 4, identifier).put(at + 12, (byte) 0x50).put(at + 13, (byte) 0x02) // SYN
                    .putShort(at + 14, (short) 0xFFFF);
            case UDP -> b.putShort(at, (short) sourcePort).putShort(at + 2, (short) destinationPort)
                    .putShort(at + 4, (short) l4).put(at + 8, PAYLOAD);
            case ICMP, ICMPV6 -> b.put(at, (byte) (protocol == ICMP ? 8 : 128)).putShort(at + 4, (short) identifier)
                    .putShort(at + 6, (short) 1).put(at + 8, PAYLOAD);
            default -> b.put(at, PAYLOAD);
        }
        InnerPacket inner = new InnerPacket();
        WireError error = inner.wrap(b, 0, total);
        if (error != WireError.OK) {
            throw new IllegalStateException("a probe packet did not decode: " + error.label());
        }
        Checksums.updateAll(b, inner);
        return b.array();
    }
}
