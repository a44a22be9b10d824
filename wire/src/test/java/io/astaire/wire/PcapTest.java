package io.astaire.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.wire.pcap.PcapReader;
import io.astaire.wire.pcap.PcapWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class PcapTest {

    @Test
    void writesTheClassicFormatAndReadsItBack() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocateDirect(64);
        for (int i = 0; i < 64; i++) {
            buf.put(i, (byte) i);
        }
        buf.position(5).limit(60);
        try (PcapWriter writer = new PcapWriter(out, PcapWriter.LINKTYPE_RAW)) {
            writer.write(1_700_000_000_123_456L, buf, 10, 20);
            writer.write(1_700_000_001_000_000L, buf, 0, 0);
        }
        assertThat(buf.position()).isEqualTo(5);
        assertThat(buf.limit()).isEqualTo(60);
        ByteBuffer file = ByteBuffer.wrap(out.toByteArray());
        assertThat(file.capacity()).isEqualTo(24 + 16 + 20 + 16);
        assertThat(file.getInt(0)).isEqualTo(0xa1b2c3d4);
        assertThat(file.getShort(4)).isEqualTo((short) 2);
        assertThat(file.getShort(6)).isEqualTo((short) 4);
        assertThat(file.getInt(16)).isEqualTo(PcapWriter.DEFAULT_SNAPLEN);
        assertThat(file.getInt(20)).isEqualTo(101);
        assertThat(file.getInt(24)).isEqualTo(1_700_000_000);
        assertThat(file.getInt(28)).isEqualTo(123_456);

        PcapReader reader = new PcapReader(file);
        assertThat(reader.linkType()).isEqualTo(PcapWriter.LINKTYPE_RAW);
        assertThat(reader.next()).isTrue();
        assertThat(reader.timestampMicros()).isEqualTo(1_700_000_000_123_456L);
        assertThat(reader.length()).isEqualTo(20);
        assertThat(reader.originalLength()).isEqualTo(20);
        assertThat(reader.buffer().get(reader.offset())).isEqualTo((byte) 10);
        assertThat(reader.buffer().get(reader.offset() + 19)).isEqualTo((byte) 29);
        assertThat(reader.next()).isTrue();
        assertThat(reader.length()).isZero();
        assertThat(reader.next()).isFalse();
    }

    @Test
    void snaplenCutsRecordsButKeepsTheOriginalLength() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapWriter writer = new PcapWriter(java.nio.channels.Channels.newChannel(out), 1, 8)) {
            writer.write(0, ByteBuffer.allocate(100), 0, 100);
        }
        PcapReader reader = new PcapReader(ByteBuffer.wrap(out.toByteArray()));
        assertThat(reader.next()).isTrue();
        assertThat(reader.length()).isEqualTo(8);
        assertThat(reader.originalLength()).isEqualTo(100);
    }

    @Test
    void readsLittleEndianFilesAndStopsAtACutRecord() {
        ByteBuffer file = ByteBuffer.allocate(24 + 16 + 4 + 16 + 2).order(ByteOrder.LITTLE_ENDIAN);
        file.putInt(0, 0xa1b2c3d4).putShort(4, (short) 2).putShort(6, (short) 4).putInt(16, 65535).putInt(20, 1);
        file.putInt(24, 5).putInt(28, 6).putInt(32, 4).putInt(36, 4).putInt(40, 0x04030201);
        file.putInt(44, 5).putInt(48, 6).putInt(52, 99).putInt(56, 99); // claims 99 bytes, 2 present
        PcapReader reader = new PcapReader(file.order(ByteOrder.BIG_ENDIAN));
        assertThat(reader.linkType()).isEqualTo(1);
        assertThat(reader.next()).isTrue();
        assertThat(reader.timestampMicros()).isEqualTo(5_000_006L);
        assertThat(reader.buffer().getInt(reader.offset())).isEqualTo(0x01020304);
        assertThat(reader.next()).isFalse();
        assertThatThrownBy(() -> new PcapReader(ByteBuffer.allocate(24))).isInstanceOf(IllegalArgumentException.class);
    }
}
