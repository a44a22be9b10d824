package io.astaire.wire.pcap;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;

/**
 * Writes a classic pcap file (magic 0xa1b2c3d4, version 2.4, microsecond timestamps) that
 * tcpdump, tshark and Wireshark read. The global header is written by the constructor; each
 * {@link #write} adds one record. Header bytes go through one reused buffer, the packet bytes
 * straight from the caller's buffer region (its position and limit are moved for the write and
 * put back), so writing allocates nothing per record. Not thread safe, and the caller's buffer
 * must not be used by another thread during a write.
 */
public final class PcapWriter implements Closeable {

    /** Link type of bare IPv4/IPv6 packets (no link-layer header). */
    public static final int LINKTYPE_RAW = 101;
    /** Link type of Ethernet II frames. */
    public static final int LINKTYPE_ETHERNET = 1;
    /** Default snapshot length: whole packets. */
    public static final int DEFAULT_SNAPLEN = 262144;

    private static final int MAGIC = 0xa1b2c3d4;

    private final WritableByteChannel channel;
    private final int snaplen;
    private final ByteBuffer recordHeader = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN);

    /** Starts a pcap file on {@code channel} with the given link type and {@link #DEFAULT_SNAPLEN}. */
    public PcapWriter(WritableByteChannel channel, int linkType) throws IOException {
        this(channel, linkType, DEFAULT_SNAPLEN);
    }

    /** Starts a pcap file on {@code channel} with the given link type and snapshot length. */
    public PcapWriter(WritableByteChannel channel, int linkType, int snaplen) throws IOException {
        this.channel = channel;
        this.snaplen = snaplen;
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.BIG_ENDIAN);
        header.putInt(0, MAGIC);
        header.putShort(4, (short) 2);
        header.putShort(6, (short) 4);
        header.putInt(8, 0);   // thiszone
        header.putInt(12, 0);  // sigfigs
        header.putInt(16, snaplen);
        header.putInt(20, linkType);
        writeFully(header);
    }

    /** Starts a pcap file on {@code out} with the given link type. */
    public PcapWriter(OutputStream out, int linkType) throws IOException {
        this(Channels.newChannel(out), linkType);
    }

    /**
     * Appends one record: the {@code length} bytes at {@code offset} of {@code packet} (cut to the
     * snapshot length), stamped {@code timestampMicros} since the epoch. The buffer's position and
     * limit are not changed.
     */
    public void write(long timestampMicros, ByteBuffer packet, int offset, int length) throws IOException {
        int captured = Math.min(length, snaplen);
        recordHeader.clear();
        recordHeader.putInt(0, (int) (timestampMicros / 1_000_000L));
        recordHeader.putInt(4, (int) (timestampMicros % 1_000_000L));
        recordHeader.putInt(8, captured);
        recordHeader.putInt(12, length);
        writeFully(recordHeader);
        int position = packet.position();
        int limit = packet.limit();
        try {
            packet.limit(offset + captured).position(offset);
            writeFully(packet);
        } finally {
            packet.limit(limit).position(position);
        }
    }

    /** Appends one record stamped with the current time. */
    public void write(ByteBuffer packet, int offset, int length) throws IOException {
        long nowMicros = System.currentTimeMillis() * 1000L;
        write(nowMicros, packet, offset, length);
    }

    private void writeFully(ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** Closes the underlying channel. */
    @Override
    public void close() throws IOException {
        channel.close();
    }
}
