package io.astaire.wire.offload;

import io.astaire.wire.Checksums;
import io.astaire.wire.InnerPacket;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Describes one TCP or UDP packet over IPv4 or IPv6 and writes it with plain byte puts, either
 * complete or as the kernel hands a CHECKSUM_PARTIAL packet to a TUN reader (the pseudo-header sum
 * in the L4 checksum field). Mutable on purpose: a test copies a description and changes a field.
 */
final class TestPacket {

    static final int TCP = 6;
    static final int UDP = 17;
    static final int ACK = 0x10;
    static final int PSH = 0x08;

    int version = 4;
    int protocol = TCP;
    int source4 = 0x0A000001;
    int destination4 = 0x0A000002;
    long source6High = 0x20010DB800000000L;
    long source6Low = 1;
    long destination6High = 0x20010DB800000000L;
    long destination6Low = 2;
    int tos;
    int flowLabel;
    int ttl = 64;
    int identification = 0x1000;
    boolean dontFragment = true;
    int ipv4OptionBytes;
    /** IPv6 extension header types (hop-by-hop 0, destination options 60), 8 bytes each. */
    int[] extensions = new int[0];
    int sourcePort = 40000;
    int destinationPort = 5201;
    int sequence = 1000;
    int acknowledgement = 777;
    int window = 502;
    int flags = ACK;
    byte[] tcpOptions = new byte[0];
    byte[] payload = new byte[0];
    int payloadOffset;
    int payloadLength;
    boolean partialChecksum;

    TestPacket copy() {
        TestPacket c = new TestPacket();
        c.version = version;
        c.protocol = protocol;
        c.source4 = source4;
        c.destination4 = destination4;
        c.source6High = source6High;
        c.source6Low = source6Low;
        c.destination6High = destination6High;
        c.destination6Low = destination6Low;
        c.tos = tos;
        c.flowLabel = flowLabel;
        c.ttl = ttl;
        c.identification = identification;
        c.dontFragment = dontFragment;
        c.ipv4OptionBytes = ipv4OptionBytes;
        c.extensions = extensions.clone();
        c.sourcePort = sourcePort;
        c.destinationPort = destinationPort;
        c.sequence = sequence;
        c.acknowledgement = acknowledgement;
        c.window = window;
        c.flags = flags;
        c.tcpOptions = tcpOptions.clone();
        c.payload = payload;
        c.payloadOffset = payloadOffset;
        c.payloadLength = payloadLength;
        c.partialChecksum = partialChecksum;
        return c;
    }

    TestPacket payload(byte[] bytes, int offset, int length) {
        payload = bytes;
        payloadOffset = offset;
        payloadLength = length;
        return this;
    }

    int ipHeaderLength() {
        return version == 4 ? 20 + ipv4OptionBytes : 40 + 8 * extensions.length;
    }

    int l4HeaderLength() {
        return protocol == TCP ? 20 + tcpOptions.length : 8;
    }

    int headersLength() {
        return ipHeaderLength() + l4HeaderLength();
    }

    int length() {
        return headersLength() + payloadLength;
    }

    /** Writes the packet at {@code at}; returns its length. */
    int write(ByteBuffer buf, int at) {
        int length = length();
        int l4 = at + ipHeaderLength();
        if (version == 4) {
            writeIpv4(buf, at, length);
        } else {
            writeIpv6(buf, at, length);
        }
        if (protocol == TCP) {
            writeTcp(buf, l4);
        } else {
            buf.putShort(l4, (short) sourcePort);
            buf.putShort(l4 + 2, (short) destinationPort);
            buf.putShort(l4 + 4, (short) (length - ipHeaderLength()));
            buf.putShort(l4 + 6, (short) 0);
        }
        buf.put(at + headersLength(), ByteBuffer.wrap(payload), payloadOffset, payloadLength);
        writeChecksums(buf, at, length);
        return length;
    }

    private void writeIpv4(ByteBuffer buf, int at, int length) {
        int header = ipHeaderLength();
        buf.put(at, (byte) (0x40 | header / 4));
        buf.put(at + 1, (byte) tos);
        buf.putShort(at + 2, (short) length);
        buf.putShort(at + 4, (short) identification);
        buf.putShort(at + 6, (short) (dontFragment ? 0x4000 : 0));
        buf.put(at + 8, (byte) ttl);
        buf.put(at + 9, (byte) protocol);
        buf.putShort(at + 10, (short) 0);
        buf.putInt(at + 12, source4);
        buf.putInt(at + 16, destination4);
        for (int i = 20; i < header; i++) {
            buf.put(at + i, (byte) 1); // NOP options
        }
    }

    private void writeIpv6(ByteBuffer buf, int at, int length) {
        buf.putInt(at, 0x60000000 | (tos & 0xFF) << 20 | flowLabel & 0xFFFFF);
        buf.putShort(at + 4, (short) (length - 40));
        buf.put(at + 6, (byte) (extensions.length == 0 ? protocol : extensions[0]));
        buf.put(at + 7, (byte) ttl);
        buf.putLong(at + 8, source6High);
        buf.putLong(at + 16, source6Low);
        buf.putLong(at + 24, destination6High);
        buf.putLong(at + 32, destination6Low);
        for (int i = 0; i < extensions.length; i++) {
            int ext = at + 40 + 8 * i;
            buf.put(ext, (byte) (i + 1 < extensions.length ? extensions[i + 1] : protocol));
            buf.put(ext + 1, (byte) 0);
            buf.put(ext + 2, (byte) 1); // PadN over the 4 bytes left
            buf.put(ext + 3, (byte) 4);
            buf.putInt(ext + 4, 0);
        }
    }

    private void writeTcp(ByteBuffer buf, int l4) {
        buf.putShort(l4, (short) sourcePort);
        buf.putShort(l4 + 2, (short) destinationPort);
        buf.putInt(l4 + 4, sequence);
        buf.putInt(l4 + 8, acknowledgement);
        buf.put(l4 + 12, (byte) ((l4HeaderLength() / 4) << 4));
        buf.put(l4 + 13, (byte) flags);
        buf.putShort(l4 + 14, (short) window);
        buf.putShort(l4 + 16, (short) 0);
        buf.putShort(l4 + 18, (short) 0);
        buf.put(l4 + 20, tcpOptions);
    }

    private void writeChecksums(ByteBuffer buf, int at, int length) {
        if (version == 4) {
            buf.putShort(at + 10, (short) Checksums.ipv4Header(buf, at, ipHeaderLength()));
        }
        InnerPacket packet = new InnerPacket();
        WireError error = packet.wrap(buf, at, length);
        if (error != WireError.OK) {
            throw new IllegalStateException("test packet invalid: " + error);
        }
        int field = packet.l4Offset() + (protocol == TCP ? 16 : 6);
        int checksum = partialChecksum
            ? ~Checksums.finish(Checksums.pseudoHeader(buf, packet, packet.l4Length())) & 0xFFFF
            : Checksums.transport(buf, packet);
        buf.putShort(field, (short) checksum);
    }

    /** TCP options as Linux sends them, in a random mix: NOPs, timestamps, SACK-permitted, MSS, window scale. */
    static byte[] randomTcpOptions(SplittableRandom random) {
        ByteBuffer options = ByteBuffer.allocate(40);
        int choices = random.nextInt(4);
        for (int i = 0; i < choices; i++) {
            switch (random.nextInt(4)) {
                case 0 -> {
                    if (options.remaining() >= 12) {
                        options.put((byte) 1).put((byte) 1).put((byte) 8).put((byte) 10)
                            .putInt(random.nextInt()).putInt(random.nextInt());
                    }
                }
                case 1 -> {
                    if (options.remaining() >= 2) {
                        options.put((byte) 4).put((byte) 2);
                    }
                }
                case 2 -> {
                    if (options.remaining() >= 4) {
                        options.put((byte) 2).put((byte) 4).putShort((short) 1460);
                    }
                }
                default -> {
                    if (options.remaining() >= 3) {
                        options.put((byte) 3).put((byte) 3).put((byte) 7);
                    }
                }
            }
        }
        while (options.position() % 4 != 0) {
            options.put((byte) 1);
        }
        byte[] bytes = new byte[options.position()];
        options.get(0, bytes);
        return bytes;
    }

    static byte[] randomBytes(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
