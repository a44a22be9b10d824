package io.astaire.dataplane.function.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.dataplane.function.Scrape;
import io.astaire.dataplane.function.TestPacket;
import io.astaire.function.PacketContext;
import io.astaire.function.Verdict;
import io.astaire.wire.WireError;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TagFunctionTest {

    private final PrometheusMeterRegistry meters = Configs.registry();

    private TagFunction tag(String yaml) {
        return Configs.configure(new TagFunction(), "tag", yaml, meters);
    }

    private double count(String result) {
        return Scrape.value(meters, "astaire_tag_packets_total", Map.of("function", "tag", "result", result));
    }

    @Test
    void appendsToIpv4UdpAndFixesLengthsAndChecksums() {
        TagFunction f = tag("text: '|astaire'");
        PacketContext ctx = TestPacket.udp("10.0.0.1", 40000, "10.20.0.5", 9000).payload("hello").build();
        int before = ctx.innerLength();
        assertThat(f.process(ctx)).isEqualTo(Verdict.FORWARD);
        assertThat(ctx.innerLength()).isEqualTo(before + 8);
        assertThat(ctx.innerError()).isEqualTo(WireError.OK); // the rewritten packet decodes: lengths agree
        assertThat(ctx.inner().ipv4().totalLength()).isEqualTo(before + 8);
        assertThat(ctx.inner().udp().length()).isEqualTo(8 + 5 + 8);
        assertThat(TestPacket.udpPayload(ctx)).isEqualTo("hello|astaire");
        assertThat(TestPacket.checksumsValid(ctx)).isTrue();
        assertThat(count("tagged")).isEqualTo(1.0);
    }

    @Test
    void appendsToIpv6Udp() {
        TagFunction f = tag("text: ' ✓'"); // UTF-8: 4 bytes
        PacketContext ctx = TestPacket.udp("2001:db8::1", 5000, "2001:db8::2", 6000).payload("ping").build();
        int before = ctx.innerLength();
        f.process(ctx);
        assertThat(ctx.innerLength()).isEqualTo(before + 4);
        assertThat(ctx.innerError()).isEqualTo(WireError.OK);
        assertThat(ctx.inner().ipv6().payloadLength()).isEqualTo(before + 4 - 40);
        assertThat(TestPacket.udpPayload(ctx)).isEqualTo("ping ✓");
        assertThat(TestPacket.checksumsValid(ctx)).isTrue();
    }

    @Test
    void anIpv4DatagramWithoutChecksumStaysWithout() {
        TagFunction f = tag("text: x");
        PacketContext ctx = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).withoutUdpChecksum().build();
        f.process(ctx);
        assertThat(ctx.inner().udp().checksum()).isZero();
        assertThat(TestPacket.udpPayload(ctx)).isEqualTo("hellox");
        assertThat(TestPacket.checksumsValid(ctx)).isTrue();
    }

    @Test
    void leavesOtherProtocolsAlone() {
        TagFunction f = tag("text: x");
        PacketContext tcp = TestPacket.tcp("10.0.0.1", 1, "10.0.0.2", 2).build();
        PacketContext icmp = TestPacket.icmp("10.0.0.1", "10.0.0.2").build();
        int tcpLength = tcp.innerLength();
        assertThat(f.process(tcp)).isEqualTo(Verdict.FORWARD);
        assertThat(f.process(icmp)).isEqualTo(Verdict.FORWARD);
        assertThat(tcp.innerLength()).isEqualTo(tcpLength);
        assertThat(count("passed")).isEqualTo(2.0);
    }

    @Test
    void dropsWhenTheBufferHasNoRoom() {
        TagFunction f = tag("text: '12345678'");
        PacketContext ctx = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).room(7).build();
        int before = ctx.innerLength();
        assertThat(f.process(ctx)).isEqualTo(Verdict.DROP);
        assertThat(ctx.innerLength()).isEqualTo(before);
        assertThat(count("no_room")).isEqualTo(1.0);
        PacketContext exact = TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).room(8).build();
        assertThat(f.process(exact)).isEqualTo(Verdict.FORWARD);
        assertThat(exact.innerLength()).isEqualTo(exact.innerCapacity());
    }

    @Test
    void badConfigNamesTheField() {
        assertThatThrownBy(() -> tag("")).hasMessage("functions.tag.config.text: is required (the string appended to UDP payloads)");
        assertThatThrownBy(() -> tag("txt: a")).hasMessageStartingWith("functions.tag.config.txt: unknown field");
    }
}
