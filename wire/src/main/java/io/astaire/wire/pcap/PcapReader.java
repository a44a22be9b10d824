package io.astaire.wire.pcap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a classic pcap file (either byte order, microsecond or nanosecond magic) held in memory.
 * Meant for tests and tools, not the packet path: {@link #next()} steps through the records and
 * exposes each one as an offset and length in {@link #buffer()}. Malformed files end the walk
 * early ({@link #next()} returns false) rather than throwing.
 */
public final class PcapReader {

    private final ByteBuffer file;
    private final int linkType;
    private final boolean nanos;
    private int position = 24;
    private int recordOffset;
    private int recordLength;
    private int originalLength;
    private long timestampMicros;

    /** Reads a whole file. */
    public static PcapReader open(Path path) throws IOException {
        return new PcapReader(ByteBuffer.wrap(Files.readAllBytes(path)));
    }

    /**
     * Wraps the bytes of a pcap file.
     *
     * @throws IllegalArgumentException if the global header is missing or its magic is unknown
     */
    public PcapReader(ByteBuffer bytes) {
        if (bytes.limit() < 24) {
            throw new IllegalArgumentException("pcap file shorter than its 24-byte header");
        }
        int magic = bytes.order(ByteOrder.BIG_ENDIAN).getInt(0);
        ByteOrder order;
        switch (magic) {
            case 0xa1b2c3d4, 0xa1b23c4d -> order = ByteOrder.BIG_ENDIAN;
            case 0xd4c3b2a1, 0x4d3cb2a1 -> order = ByteOrder.LITTLE_ENDIAN;
            default -> throw new IllegalArgumentException("not a pcap file (magic 0x" + Integer.toHexString(magic) + ")");
        }
        this.nanos = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
        this.file = bytes.duplicate().order(order);
        this.linkType = file.getInt(20);
    }

    /** The link type from the global header (1 Ethernet, 101 raw IP, ...). */
    public int linkType() {
        return linkType;
    }

    /** Moves to the next record; false at the end of the file or at a record that does not fit. */
    public boolean next() {
        if (file.limit() - position < 16) {
            return false;
        }
        long seconds = file.getInt(position) & 0xFFFFFFFFL;
        long fraction = file.getInt(position + 4) & 0xFFFFFFFFL;
        int captured = file.getInt(position + 8);
        int original = file.getInt(position + 12);
        if (captured < 0 || captured > file.limit() - position - 16) {
            return false;
        }
        timestampMicros = seconds * 1_000_000L + (nanos ? fraction / 1000 : fraction);
        recordOffset = position + 16;
        recordLength = captured;
        originalLength = original;
        position = recordOffset + captured;
        return true;
    }

    /** The file's bytes; records are regions of it (read them big-endian, as the wire is). */
    public ByteBuffer buffer() {
        return file.duplicate().order(ByteOrder.BIG_ENDIAN);
    }

    /** Where the current record's bytes start in {@link #buffer()}. */
    public int offset() {
        return recordOffset;
    }

    /** Captured bytes of the current record. */
    public int length() {
        return recordLength;
    }

    /** The record's length on the wire (may exceed {@link #length()} when cut by the snap length). */
    public int originalLength() {
        return originalLength;
    }

    /** The current record's timestamp in microseconds since the epoch. */
    public long timestampMicros() {
        return timestampMicros;
    }
}
