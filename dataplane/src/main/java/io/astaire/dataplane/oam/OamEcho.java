package io.astaire.dataplane.oam;

import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.NshHeader;
import io.astaire.wire.VxlanGpeHeader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * The byte layout of Astaire's NSH OAM echo (docs/wire.md, "OAM echo"): how a resolver asks a
 * replica whether it is alive, and how the replica answers. A 64-byte datagram to the replica's
 * NSH port: VXLAN-GPE, an MD type 1 NSH with the O bit set, SPI 0, SI 255, TTL 1, next protocol
 * {@value #NEXT_PROTOCOL} (RFC 8300's "Experiment 1": no IP packet follows), then 32 bytes:
 *
 * <pre>
 *  0  magic 'A' 'S' 'E' '1'
 *  4  type: 1 request, 2 reply
 *  5  reply-to address family: 4 or 6
 *  6  reply-to UDP port
 *  8  nonce (64 bits, chosen by the prober)
 * 16  reply-to address (IPv4 in the first 4 bytes, the rest 0; or 16 bytes of IPv6)
 * </pre>
 *
 * A reply is the request with type 2, sent to the reply-to address.
 */
public final class OamEcho {

    /** NSH next protocol of an echo: 0xFE, "Experiment 1" in RFC 8300's registry. */
    public static final int NEXT_PROTOCOL = 0xFE;
    public static final int MAGIC = 0x41534531; // "ASE1"
    public static final int REQUEST = 1;
    public static final int REPLY = 2;
    public static final int PAYLOAD_LENGTH = 32;
    /** The whole datagram: 8 bytes VXLAN-GPE, 24 bytes NSH MD type 1, the payload. */
    public static final int LENGTH = GpeNshPacket.HEADROOM_MD1 + PAYLOAD_LENGTH;

    private static final int O_BIT = 0x20;
    private static final int PAYLOAD = GpeNshPacket.HEADROOM_MD1;
    private static final int TYPE = PAYLOAD + 4;
    private static final int FAMILY = PAYLOAD + 5;
    private static final int PORT = PAYLOAD + 6;
    private static final int NONCE = PAYLOAD + 8;
    private static final int ADDRESS = PAYLOAD + 16;

    private OamEcho() {}

    /**
     * Whether the datagram at {@code offset} has the NSH O bit set: one byte read, so the packet
     * path can send OAM to its rare path before decoding anything else.
     */
    public static boolean isOam(ByteBuffer buffer, int offset, int length) {
        return length > VxlanGpeHeader.LENGTH && (buffer.get(offset + VxlanGpeHeader.LENGTH) & O_BIT) != 0;
    }

    /** Writes an echo request at {@code offset} ({@value #LENGTH} bytes). */
    public static void writeRequest(ByteBuffer buffer, int offset, InetSocketAddress replyTo, long nonce) {
        GpeNshPacket.encapsulateMd1(buffer, offset + PAYLOAD, PAYLOAD_LENGTH, 0, 255, 1, NEXT_PROTOCOL);
        buffer.put(offset + VxlanGpeHeader.LENGTH, (byte) (buffer.get(offset + VxlanGpeHeader.LENGTH) | O_BIT));
        buffer.putInt(offset + PAYLOAD, MAGIC);
        buffer.put(offset + TYPE, (byte) REQUEST);
        byte[] address = replyTo.getAddress().getAddress();
        buffer.put(offset + FAMILY, (byte) (address.length == 4 ? 4 : 6));
        buffer.putShort(offset + PORT, (short) replyTo.getPort());
        buffer.putLong(offset + NONCE, nonce);
        for (int i = 0; i < 16; i++) {
            buffer.put(offset + ADDRESS + i, i < address.length ? address[i] : 0);
        }
    }

    /**
     * The type ({@link #REQUEST} or {@link #REPLY}) of a well-formed echo at {@code offset}, or
     * -1 for anything else (another OAM packet, a bad header, a bad family or port). Reads only
     * inside {@code length}; allocates nothing.
     */
    public static int type(ByteBuffer buffer, int offset, int length) {
        if (length != LENGTH || offset < 0 || offset + LENGTH > buffer.limit()) {
            return -1;
        }
        int flags = buffer.get(offset) & 0xFF;
        if ((flags & VxlanGpeHeader.FLAG_P) == 0 || (buffer.get(offset + 3) & 0xFF) != VxlanGpeHeader.NEXT_PROTOCOL_NSH) {
            return -1;
        }
        int nsh = offset + VxlanGpeHeader.LENGTH;
        int b0 = buffer.get(nsh) & 0xFF;
        if ((b0 >> 6) != 0 || (b0 & O_BIT) == 0 || (buffer.get(nsh + 1) & 0x3F) != NshHeader.MD1_LENGTH / 4
                || (buffer.get(nsh + 2) & 0x0F) != NshHeader.MD_TYPE_1 || (buffer.get(nsh + 3) & 0xFF) != NEXT_PROTOCOL) {
            return -1;
        }
        if (buffer.getInt(offset + PAYLOAD) != MAGIC) {
            return -1;
        }
        int family = buffer.get(offset + FAMILY);
        int type = buffer.get(offset + TYPE);
        if ((family != 4 && family != 6) || (buffer.getShort(offset + PORT) & 0xFFFF) == 0 || (type != REQUEST && type != REPLY)) {
            return -1;
        }
        return type;
    }

    /** Turns the request at {@code offset} into its reply, in place. */
    public static void toReply(ByteBuffer buffer, int offset) {
        buffer.put(offset + TYPE, (byte) REPLY);
    }

    public static long nonce(ByteBuffer buffer, int offset) {
        return buffer.getLong(offset + NONCE);
    }

    /** Where the reply goes (allocates: the rare path). Null for an address that cannot be built. */
    public static InetSocketAddress replyTo(ByteBuffer buffer, int offset) {
        byte[] address = new byte[buffer.get(offset + FAMILY) == 4 ? 4 : 16];
        buffer.get(offset + ADDRESS, address);
        try {
            InetAddress a = InetAddress.getByAddress(address);
            if (a.isAnyLocalAddress() || a.isMulticastAddress() || (a instanceof Inet4Address && address[0] == 0)) {
                return null;
            }
            return new InetSocketAddress(a, buffer.getShort(offset + PORT) & 0xFFFF);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
