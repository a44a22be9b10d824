package io.astaire.dataplane.function.builtin;

import static io.astaire.dataplane.function.TestPacket.icmp;
import static io.astaire.dataplane.function.TestPacket.tcp;
import static io.astaire.dataplane.function.TestPacket.udp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.astaire.dataplane.function.Allocations;
import io.astaire.dataplane.function.Scrape;
import io.astaire.function.FunctionConfigException;
import io.astaire.function.PacketContext;
import io.astaire.function.Verdict;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AclFunctionTest {

    private final PrometheusMeterRegistry meters = Configs.registry();

    private AclFunction acl(String yaml) {
        return Configs.configure(new AclFunction(), "fw", yaml, meters);
    }

    private double hits(String rule) {
        return Scrape.value(meters, "astaire_acl_hits_total", Map.of("function", "fw", "rule", rule));
    }

    @Test
    void theExampleChainsRuleDeniesTelnetOnly() {
        AclFunction f = acl("""
                default: allow
                rules:
                  - action: deny
                    protocol: tcp
                    destinationPorts: 23
                """);
        assertThat(f.process(tcp("10.0.0.1", 40000, "10.20.0.5", 23).build())).isEqualTo(Verdict.DROP);
        assertThat(f.process(tcp("10.0.0.1", 40000, "10.20.0.5", 80).build())).isEqualTo(Verdict.FORWARD);
        assertThat(f.process(udp("10.0.0.1", 40000, "10.20.0.5", 23).build())).isEqualTo(Verdict.FORWARD);
        assertThat(f.process(icmp("10.0.0.1", "10.20.0.5").build())).isEqualTo(Verdict.FORWARD);
        assertThat(hits("rule-0")).isEqualTo(1.0);
        assertThat(hits("default")).isEqualTo(3.0);
        assertThat(Scrape.value(meters, "astaire_acl_hits_total", Map.of("rule", "rule-0", "action", "deny"))).isEqualTo(1.0);
    }

    @Test
    void firstMatchWinsAndDefaultDenyCatchesTheRest() {
        AclFunction f = acl("""
                default: deny
                rules:
                  - {name: block-host, action: deny, source: 10.0.0.66}
                  - {name: lan-web, action: allow, protocol: tcp, source: 10.0.0.0/24, destination: 10.20.0.0/16, destinationPorts: 80-443}
                  - {name: dns, action: allow, protocol: udp, destinationPorts: 53}
                  - {name: high-ports, action: allow, sourcePorts: 1024-65535, destinationPorts: 8000-8999}
                  - {name: v6-ping, action: allow, protocol: icmpv6, source: "2001:db8::/32"}
                """);
        assertThat(f.process(tcp("10.0.0.66", 40000, "10.20.0.5", 80).build())).isEqualTo(Verdict.DROP);   // block-host first
        assertThat(f.process(tcp("10.0.0.7", 40000, "10.20.9.5", 443).build())).isEqualTo(Verdict.FORWARD); // lan-web
        assertThat(f.process(tcp("10.0.1.7", 40000, "10.20.9.5", 443).build())).isEqualTo(Verdict.DROP);   // outside /24
        assertThat(f.process(tcp("10.0.0.7", 40000, "10.21.0.5", 80).build())).isEqualTo(Verdict.DROP);    // outside /16
        assertThat(f.process(tcp("10.0.0.7", 40000, "10.20.0.5", 444).build())).isEqualTo(Verdict.DROP);   // past the range
        assertThat(f.process(udp("192.168.1.1", 5353, "8.8.8.8", 53).build())).isEqualTo(Verdict.FORWARD); // dns
        assertThat(f.process(udp("2001:db8::1", 5353, "2001:db8::53", 53).build())).isEqualTo(Verdict.FORWARD); // dns, v6
        assertThat(f.process(udp("10.9.9.9", 2000, "10.20.0.5", 8080).build())).isEqualTo(Verdict.FORWARD); // high-ports udp
        assertThat(f.process(tcp("10.9.9.9", 80, "10.20.0.5", 8080).build())).isEqualTo(Verdict.DROP);      // low source port
        assertThat(f.process(icmp("2001:db8:1::1", "2001:db9::1").build())).isEqualTo(Verdict.FORWARD);   // v6-ping
        assertThat(f.process(icmp("2001:db9::1", "2001:db8::1").build())).isEqualTo(Verdict.DROP);         // wrong source
        assertThat(f.process(icmp("10.0.0.7", "10.20.0.5").build())).isEqualTo(Verdict.DROP);              // v4 ICMP: default
        assertThat(hits("block-host")).isEqualTo(1.0);
        assertThat(hits("lan-web")).isEqualTo(1.0);
        assertThat(hits("dns")).isEqualTo(2.0);
        assertThat(hits("high-ports")).isEqualTo(1.0);
        assertThat(hits("v6-ping")).isEqualTo(1.0);
        assertThat(hits("default")).isEqualTo(6.0);
    }

    @Test
    void anIpv4PrefixNeverMatchesIpv6AndViceVersa() {
        AclFunction f = acl("""
                default: allow
                rules:
                  - {action: deny, source: 0.0.0.0/0}
                """);
        assertThat(f.process(udp("10.0.0.1", 1, "10.0.0.2", 2).build())).isEqualTo(Verdict.DROP);
        assertThat(f.process(udp("::1", 1, "::2", 2).build())).isEqualTo(Verdict.FORWARD);
        AclFunction v6 = Configs.configure(new AclFunction(), "fw6", "rules: [{action: deny, destination: '::/0'}]", meters);
        assertThat(v6.process(udp("::1", 1, "::2", 2).build())).isEqualTo(Verdict.DROP);
        assertThat(v6.process(udp("10.0.0.1", 1, "10.0.0.2", 2).build())).isEqualTo(Verdict.FORWARD);
    }

    @Test
    void ipv6PrefixesLongerThan64BitsCompareTheLowWord() {
        AclFunction f = acl("rules: [{action: deny, source: '2001:db8::aa00/120'}]");
        assertThat(f.process(udp("2001:db8::aa42", 1, "2001:db8::1", 2).build())).isEqualTo(Verdict.DROP);
        assertThat(f.process(udp("2001:db8::ab42", 1, "2001:db8::1", 2).build())).isEqualTo(Verdict.FORWARD);
        assertThat(f.process(udp("2001:db9::aa42", 1, "2001:db8::1", 2).build())).isEqualTo(Verdict.FORWARD);
    }

    @Test
    void aRuleWithPortsNeverMatchesPortlessProtocols() {
        AclFunction f = acl("rules: [{action: deny, destinationPorts: 0-65535}]");
        assertThat(f.process(icmp("10.0.0.1", "10.0.0.2").build())).isEqualTo(Verdict.FORWARD);
        assertThat(f.process(udp("10.0.0.1", 1, "10.0.0.2", 2).build())).isEqualTo(Verdict.DROP);
    }

    @Test
    void badConfigNamesTheField() {
        assertThatThrownBy(() -> acl("rules: [{action: allow}, {action: alow}]")).isInstanceOf(FunctionConfigException.class)
                .hasMessage("functions.fw.config.rules[1].action: 'alow' is not allow|deny");
        assertThatThrownBy(() -> acl("rules: [{protocol: tcp}]"))
                .hasMessage("functions.fw.config.rules[0].action: is required (allow|deny)");
        assertThatThrownBy(() -> acl("rules: [{action: deny, protocol: icmp, destinationPorts: 80}]"))
                .hasMessage("functions.fw.config.rules[0].destinationPorts: ports only apply to tcp and udp, not icmp");
        assertThatThrownBy(() -> acl("rules: [{action: deny, source: 10.0.0.0/8, destination: '::/0'}]"))
                .hasMessage("functions.fw.config.rules[0].destination: is IPv6 but source is IPv4");
        assertThatThrownBy(() -> acl("rules: [{action: deny, source: db.local}]"))
                .hasMessage("functions.fw.config.rules[0].source: 'db.local' is not an IP address or prefix (names are not allowed)");
        assertThatThrownBy(() -> acl("rules: [{action: deny, destinationPorts: 90-80}]"))
                .hasMessageStartingWith("functions.fw.config.rules[0].destinationPorts: '90-80': ");
        assertThatThrownBy(() -> acl("rules: [{name: a, action: deny}, {name: a, action: allow}]"))
                .hasMessage("functions.fw.config.rules[1].name: 'a' is used by an earlier rule");
        assertThatThrownBy(() -> acl("defualt: deny")).hasMessageStartingWith("functions.fw.config.defualt: unknown field");
    }

    @Test
    void aReconfiguredInstanceTakesOverTheMetricsOfTheOldOne() {
        // What a node does when the topology changes a function's config: a new instance is
        // configured while the old one still runs, then the old one is stopped.
        AclFunction old = acl("rules: [{name: web, action: allow, destinationPorts: 80}, {name: ssh, action: deny, destinationPorts: 22}]");
        PacketContext web = tcp("10.0.0.1", 40000, "10.20.0.5", 80).build();
        old.process(web);
        old.process(web);
        old.process(tcp("10.0.0.1", 40000, "10.20.0.5", 22).build());

        assertThatThrownBy(() -> acl("rules: [{name: web, action: deny}, {name: x, action: alow}]"));
        assertThat(hits("web")).as("a refused config leaves the running instance's meters").isEqualTo(2.0);

        AclFunction fresh = acl("default: deny\nrules: [{name: web, action: allow, destinationPorts: 80}]");
        fresh.process(web);
        old.process(web); // the old instance may still see a packet or two
        old.stop();
        assertThat(hits("web")).as("the new instance's count, not the old one's").isEqualTo(1.0);
        assertThat(hits("ssh")).as("a rule the new config dropped").isNaN();
        assertThat(Scrape.value(meters, "astaire_acl_hits_total", Map.of("rule", "default", "action", "deny"))).isZero();
        fresh.stop();
        assertThat(Scrape.count(meters, "astaire_acl_hits_total")).isZero();
    }

    @Test
    void processingAllocatesNothing() {
        AclFunction f = acl("""
                rules:
                  - {action: deny, source: '2001:db8::/32', destinationPorts: 22}
                  - {action: deny, protocol: tcp, source: 10.0.0.0/24, destinationPorts: 23}
                """);
        PacketContext ctx = tcp("10.0.0.1", 40000, "10.20.0.5", 80).build();
        Runnable loop = () -> {
            for (int i = 0; i < 100_000; i++) {
                f.process(ctx);
            }
        };
        loop.run();
        assertThat(Allocations.bytesAllocatedBy(loop)).isLessThan(10_000);
        assertThat(hits("default")).isEqualTo(200_000.0);
    }
}
