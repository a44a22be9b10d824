package io.astaire.wire.offload;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The header's u16 fields are in the host's order, whatever the order of the buffer holding them. */
class VirtioNetHeaderTest {

    @Test
    void fieldsAreInHostOrderInABigEndianBuffer() {
        ByteBuffer buffer = ByteBuffer.allocate(16);
        new VirtioNetHeader().wrap(buffer, 3).flags(1).gsoType(0x84).hdrLen(0x0102).gsoSize(0x0304)
            .csumStart(0x0506).csumOffset(0x0708);
        byte[] expected = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
            ? new byte[] {1, (byte) 0x84, 2, 1, 4, 3, 6, 5, 8, 7}
            : new byte[] {1, (byte) 0x84, 1, 2, 3, 4, 5, 6, 7, 8};
        byte[] actual = new byte[VirtioNetHeader.LENGTH];
        buffer.get(3, actual);
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void readsTheSameValuesThroughABufferOfEitherOrder() {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(16).order(order);
            VirtioNetHeader header = new VirtioNetHeader().wrap(buffer, 0).flags(VirtioNetHeader.F_NEEDS_CSUM)
                .gsoType(VirtioNetHeader.GSO_TCPV6).hdrLen(72).gsoSize(65000).csumStart(40).csumOffset(16);
            assertThat(header.flags()).isEqualTo(1);
            assertThat(header.gsoType()).isEqualTo(4);
            assertThat(header.hdrLen()).isEqualTo(72);
            assertThat(header.gsoSize()).isEqualTo(65000);
            assertThat(header.csumStart()).isEqualTo(40);
            assertThat(header.csumOffset()).isEqualTo(16);
            ByteBuffer other = buffer.duplicate().order(order == ByteOrder.BIG_ENDIAN
                ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            assertThat(new VirtioNetHeader().wrap(other, 0).gsoSize()).isEqualTo(65000);
        }
    }

    @Test
    void writeNoneZeroesExactlyTenBytes() {
        ByteBuffer buffer = ByteBuffer.allocate(14);
        for (int i = 0; i < 14; i++) {
            buffer.put(i, (byte) 0xEE);
        }
        VirtioNetHeader.writeNone(buffer, 2);
        assertThat(buffer.get(1)).isEqualTo((byte) 0xEE);
        for (int i = 2; i < 12; i++) {
            assertThat(buffer.get(i)).isZero();
        }
        assertThat(buffer.get(12)).isEqualTo((byte) 0xEE);
    }
}
