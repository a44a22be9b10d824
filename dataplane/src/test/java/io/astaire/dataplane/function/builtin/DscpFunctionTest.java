package io.astaire.dataplane.function.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.dataplane.function.Scrape;
import io.astaire.dataplane.function.TestPacket;
import io.astaire.function.PacketContext;
import io.astaire.function.Verdict;
import io.astaire.wire.Checksums;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DscpFunctionTest {

    private final PrometheusMeterRegistry meters = Configs.registry();

    private DscpFunction dscp(String yaml) {
        return Configs.configure(new DscpFunction(), "mark", yaml, meters);
    }

    @Test
    void marksIpv4KeepingEcnAndAValidHeaderChecksum() {
        DscpFunction f = dscp("dscp: EF");
        PacketContext ctx = TestPacket.tcp("10.0.0.1", 1234, "10.20.0.5", 80).trafficClass(10 << 2 | 1).build(); // AF11, ECT(1)
        int oldChecksum = ctx.buffer().getShort(ctx.innerOffset() + 10) & 0xffff;
        assertThat(f.process(ctx)).isEqualTo(Verdict.FORWARD);
        assertThat(ctx.buffer().get(ctx.innerOffset() + 1) & 0xff).isEqualTo(46 << 2 | 1);
        int newChecksum = ctx.buffer().getShort(ctx.innerOffset() + 10) & 0xffff;
        assertThat(newChecksum).isNotEqualTo(oldChecksum)
                .isEqualTo(Checksums.ipv4Header(ctx.buffer(), ctx.innerOffset(), 20));
        assertThat(TestPacket.checksumsValid(ctx)).isTrue();
    }

    @Test
    void marksTheIpv6TrafficClassKeepingFlowLabelAndEcn() {
        DscpFunction f = dscp("dscp: 10");
        PacketContext ctx = TestPacket.udp("2001:db8::1", 1, "2001:db8::2", 2).trafficClass(3).build(); // CE
        f.process(ctx);
        int word = ctx.buffer().getInt(ctx.innerOffset());
        assertThat(word >>> 28).isEqualTo(6);
        assertThat(word >>> 20 & 0xff).isEqualTo(10 << 2 | 3);
        assertThat(word & 0xfffff).isEqualTo(0x12345);
        assertThat(TestPacket.checksumsValid(ctx)).isTrue();
    }

    @Test
    void countsMarkedAndAlreadyMarked() {
        DscpFunction f = dscp("dscp: af41");
        f.process(TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).build());
        f.process(TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).trafficClass(34 << 2).build());
        f.process(TestPacket.udp("::1", 1, "::2", 2).trafficClass(34 << 2).build());
        assertThat(Scrape.value(meters, "astaire_dscp_packets_total", Map.of("function", "mark", "result", "marked"))).isEqualTo(1.0);
        assertThat(Scrape.value(meters, "astaire_dscp_packets_total", Map.of("function", "mark", "result", "unchanged"))).isEqualTo(2.0);
    }

    @Test
    void namesAreTheStandardCodePoints() {
        assertThat(DscpFunction.parse("EF")).isEqualTo(46);
        assertThat(DscpFunction.parse("cs6")).isEqualTo(48);
        assertThat(DscpFunction.parse("AF11")).isEqualTo(10);
        assertThat(DscpFunction.parse("AF43")).isEqualTo(38);
        assertThat(DscpFunction.parse("VA")).isEqualTo(44);
        assertThat(DscpFunction.parse("BE")).isZero();
        assertThat(DscpFunction.parse("63")).isEqualTo(63);
        assertThat(DscpFunction.parse("64")).isEqualTo(-1);
        assertThat(DscpFunction.parse("AF51")).isEqualTo(-1);
    }

    @Test
    void badConfigNamesTheField() {
        assertThatThrownBy(() -> dscp("")).hasMessage("functions.mark.config.dscp: is required");
        assertThatThrownBy(() -> dscp("dscp: 64"))
                .hasMessage("functions.mark.config.dscp: '64' is not 0-63 or one of EF, VA, DF, BE, CS0-CS7, AF11-AF43");
        assertThatThrownBy(() -> dscp("dscp: EF\ncolour: red")).hasMessage("functions.mark.config.colour: unknown field 'colour' (known: dscp)");
    }
}
