package io.astaire.dataplane.function.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.dataplane.function.TestPacket;
import io.astaire.function.PacketContext;
import io.astaire.function.Verdict;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class PassthroughFunctionTest {

    @Test
    void forwardsEveryPacketUnchanged() {
        PassthroughFunction f = new PassthroughFunction();
        for (PacketContext ctx : new PacketContext[] {
                TestPacket.tcp("10.0.0.1", 1234, "10.20.0.5", 80).build(),
                TestPacket.udp("2001:db8::1", 53, "2001:db8::2", 5353).build(),
                TestPacket.icmp("10.0.0.1", "10.0.0.2").build()}) {
            ByteBuffer before = ByteBuffer.allocate(ctx.buffer().capacity()).put(0, ctx.buffer(), 0, ctx.buffer().capacity());
            int length = ctx.innerLength();
            assertThat(f.process(ctx)).isEqualTo(Verdict.FORWARD);
            assertThat(ctx.innerLength()).isEqualTo(length);
            assertThat(ctx.buffer().duplicate().clear()).isEqualTo(before.clear());
        }
    }
}
