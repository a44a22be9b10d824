package io.astaire.dataplane.function.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.dataplane.function.TestPacket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FlowLabelsTest {

    @Test
    void ipv4() {
        assertThat(FlowLabels.label(TestPacket.tcp("10.0.0.1", 40000, "10.20.0.5", 80).build().flow()))
                .isEqualTo("10.0.0.1:40000>10.20.0.5:80/tcp");
        assertThat(FlowLabels.label(TestPacket.icmp("192.168.255.1", "8.8.8.8").build().flow()))
                .isEqualTo("192.168.255.1:7>8.8.8.8:7/icmp"); // ICMP echo: the identifier as both ports
    }

    @ParameterizedTest
    @CsvSource({
            "2001:db8::1, [2001:db8::1]",
            "::1, [::1]",
            "::, [::]",
            "2001:db8:0:1:0:0:0:1, [2001:db8:0:1::1]",
            "2001:0:0:1:0:0:0:1, [2001:0:0:1::1]",
            "fe80::, [fe80::]",
            "2001:db8:1:2:3:4:5:6, [2001:db8:1:2:3:4:5:6]",
            "2001:db8:0:2:3:4:5:6, [2001:db8:0:2:3:4:5:6]",
            "1:0:0:2:0:0:0:3, [1:0:0:2::3]"})
    void ipv6InRfc5952Text(String address, String expected) {
        String label = FlowLabels.label(TestPacket.udp(address, 1, "::2", 53).build().flow());
        assertThat(label).isEqualTo(expected + ":1>[::2]:53/udp");
    }
}
