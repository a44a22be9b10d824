package io.astaire.dataplane.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.function.PacketContext;
import io.astaire.wire.NshHeader;
import io.astaire.wire.WireError;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class PacketContextTest {

    @Test
    void resetExposesNshInnerPacketAndFlow() {
        PacketContext ctx = TestPacket.tcp("10.0.0.1", 40000, "10.20.0.5", 80).spi(77).si(254).room(100).build();
        assertThat(ctx.spi()).isEqualTo(77);
        assertThat(ctx.si()).isEqualTo(254);
        assertThat(ctx.nsh().ttl()).isEqualTo(63);
        assertThat(ctx.nsh().mdType()).isEqualTo(NshHeader.MD_TYPE_1);
        assertThat(ctx.nshOffset() + NshHeader.MD1_LENGTH).isEqualTo(ctx.innerOffset());
        assertThat(ctx.inner().protocol()).isEqualTo(6);
        assertThat(ctx.inner().destinationPort()).isEqualTo(80);
        assertThat(ctx.innerLength()).isEqualTo(20 + 20 + 5);
        assertThat(ctx.innerCapacity()).isEqualTo(ctx.innerLength() + 100);
        assertThat(ctx.flow().family()).isEqualTo(4);
        assertThat(ctx.flow().ipv4Source()).isEqualTo(0x0a000001);
        assertThat(ctx.flow().ipv4Destination()).isEqualTo(0x0a140005);
        assertThat(ctx.flow().sourcePort()).isEqualTo(40000);
        assertThat(ctx.flow().protocol()).isEqualTo(6);
        assertThat(ctx.innerError()).isEqualTo(WireError.OK);
    }

    @Test
    void oneContextIsReusedAcrossPackets() {
        PacketContext ctx = new PacketContext();
        TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).into(ctx);
        assertThat(ctx.flow().protocol()).isEqualTo(17);
        TestPacket.udp("2001:db8::1", 5353, "2001:db8::2", 53).spi(3).into(ctx);
        assertThat(ctx.flow().family()).isEqualTo(6);
        assertThat(ctx.flow().sourcePort()).isEqualTo(5353);
        assertThat(ctx.inner().version()).isEqualTo(6);
        assertThat(ctx.spi()).isEqualTo(3);
    }

    @Test
    void md1ContextWritesLandInTheNshHeader() {
        PacketContext ctx = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).build();
        ctx.nsh().md1Context(2, 0xCAFEF00D);
        assertThat(ctx.buffer().getInt(ctx.nshOffset() + 8 + 2 * 4)).isEqualTo(0xCAFEF00D);
        assertThat(ctx.nsh().md1Context(2)).isEqualTo(0xCAFEF00D);
    }

    @Test
    void md2TlvsAreFoundAndRewrittenInPlace() {
        PacketContext ctx = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).md2Tlv(0x0105, 7, 4242).build();
        assertThat(ctx.nsh().mdType()).isEqualTo(NshHeader.MD_TYPE_2);
        int tlv = ctx.nsh().firstTlv();
        assertThat(tlv).isEqualTo(ctx.nsh().findTlv(0x0105, 7)).isPositive();
        assertThat(ctx.nsh().tlvLength(tlv)).isEqualTo(4);
        assertThat(ctx.buffer().getInt(ctx.nsh().tlvValueOffset(tlv))).isEqualTo(4242);
        assertThat(ctx.nsh().nextTlv(tlv)).isEqualTo(-1);
        ctx.buffer().putInt(ctx.nsh().tlvValueOffset(tlv), 99);
        assertThat(ctx.buffer().getInt(ctx.nshOffset() + 8 + 4)).isEqualTo(99);
        assertThat(ctx.innerOffset()).isEqualTo(ctx.nshOffset() + 16);
        assertThat(ctx.inner().destinationPort()).isEqualTo(2);
    }

    @Test
    void innerLengthIsBoundedByCapacity() {
        PacketContext ctx = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).room(8).build();
        int length = ctx.innerLength();
        assertThatThrownBy(() -> ctx.innerLength(length + 9)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside 0-" + (length + 8));
        assertThatThrownBy(() -> ctx.innerLength(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ctx.innerLength()).isEqualTo(length);
    }

    @Test
    void innerViewFollowsALengthChange() {
        PacketContext ctx = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).payload("abcd").room(16).build();
        int grown = ctx.innerLength() + 4;
        int udp = ctx.inner().l4Offset();
        ctx.innerLength(grown);
        // The IP length field still says the old length: the re-wrapped view reports it.
        assertThat(ctx.innerError()).isEqualTo(WireError.INNER_LENGTH_MISMATCH);
        ctx.buffer().putShort(ctx.innerOffset() + 2, (short) grown);
        ctx.buffer().putShort(udp + 4, (short) (8 + 8));
        ctx.innerLength(grown);
        assertThat(ctx.innerError()).isEqualTo(WireError.OK);
        assertThat(ctx.inner().totalLength()).isEqualTo(grown);
    }

    @Test
    void anUndecodableInnerPacketIsReportedNotThrown() {
        PacketContext good = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).build();
        ByteBuffer buf = good.buffer();
        buf.put(good.innerOffset(), (byte) 0x75); // IP version 7
        PacketContext ctx = new PacketContext();
        ctx.reset(buf, good.nshOffset(), good.innerOffset(), good.innerLength(), good.innerCapacity());
        assertThat(ctx.innerError()).isEqualTo(WireError.BAD_IP_VERSION);
        assertThatThrownBy(() -> ctx.reset(buf, 0, 0, 10, buf.capacity() + 1)).isInstanceOf(IllegalArgumentException.class);
        // Functions grow packets with absolute puts, which stop at the limit: the capacity must be inside it.
        ByteBuffer limited = buf.duplicate().limit(good.innerOffset() + good.innerLength());
        assertThatThrownBy(() -> ctx.reset(limited, good.nshOffset(), good.innerOffset(), good.innerLength(), good.innerCapacity()))
                .hasMessageContaining("does not fit the buffer's limit");
    }

    @Test
    void resetAndAccessorsAllocateNothing() {
        PacketContext source = TestPacket.tcp("10.0.0.1", 40000, "10.20.0.5", 80).build();
        ByteBuffer buf = source.buffer();
        int nsh = source.nshOffset(), inner = source.innerOffset(), length = source.innerLength(), cap = source.innerCapacity();
        PacketContext ctx = new PacketContext();
        long[] sink = new long[1];
        Runnable loop = () -> {
            for (int i = 0; i < 100_000; i++) {
                ctx.reset(buf, nsh, inner, length, cap);
                sink[0] += ctx.spi() + ctx.si() + ctx.flow().hashCode() + ctx.inner().destinationPort() + ctx.innerLength();
            }
        };
        loop.run(); // warm up
        assertThat(Allocations.bytesAllocatedBy(loop)).isLessThan(10_000);
        assertThat(sink[0]).isNotZero();
    }
}
