package io.astaire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.astaire.dataplane.oam.TraceFlow;
import io.astaire.dataplane.oam.TraceHop;
import io.astaire.dataplane.oam.TraceResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code astaire trace}'s usage errors, refused before anything is sent, and how it prints a result. */
class TraceCommandTest {

    @Test
    void aBadFlowIsRefusedByOptionNameBeforeTheControllerIsAsked() {
        // Port 1 of localhost: were the controller asked, the error would be "cannot reach the controller".
        String[][] cases = {
                {"--proto", "udp", "--to", "10.2.0.2"}, {"--dport: is required for udp"},
                {"--to", "10.2.0.2", "--dport", "0"}, {"--dport: must be within 1-65535, was 0"},
                {"--to", "server.example"}, {"--to: 'server.example' is not an IPv4 or IPv6 address"},
                {"--to", "10.2.0.2", "--from", "fd00::1"}, {"--from: fd00::1 is not of the IP version of the destination 10.2.0.2"},
                {"--to", "10.2.0.2", "--timeout", "20s"}, {"--timeout: must be within 100-10000, was 20000"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            List<String> args = new java.util.ArrayList<>(List.of("trace", "--chain", "web", "--controller", "http://127.0.0.1:1"));
            args.addAll(List.of(cases[i]));
            K8sCommandTest.Run r = K8sCommandTest.run(args.toArray(String[]::new));
            assertThat(r.exit()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", args)).isEqualTo("astaire trace: " + cases[i + 1][0] + "\n");
        }
        K8sCommandTest.Run both = K8sCommandTest.run("trace", "--chain", "web", "--to", "10.2.0.2", "-f", "x.yaml",
                "--controller", "http://127.0.0.1:1");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("give either -f FILE or --controller URL, not both");
        K8sCommandTest.Run unreachable = K8sCommandTest.run("trace", "--chain", "web", "--to", "10.2.0.2", "--controller", "http://127.0.0.1:1");
        assertThat(unreachable.exit()).isEqualTo(1);
        assertThat(unreachable.err()).contains("cannot reach the controller at http://127.0.0.1:1");
    }

    @Test
    void aResultPrintsATablePerDirectionAndTheOutcome() {
        TraceHop in = new TraceHop("forward", null, "ingress", List.of(), "10.99.0.1:4790", 10, null, 255, null, 63,
                "classified", null, null, "rule web", "10.99.0.11:4790", 1_000, 0L);
        TraceHop acl = new TraceHop("forward", "sf-acl", "sf", List.of("acl"), "10.99.0.11:4790", 10, 255, null, 63, null,
                "dropped", "function_verdict", "acl", "rule no-telnet", null, 1_250, 250L);
        String text = TraceCommand.render(new TraceResult("00ab", "web", new TraceFlow("tcp", "10.1.0.2", 40000, "10.2.0.2", 23),
                "dropped", "dropped at acl: function_verdict (rule no-telnet)", List.of(in, acl)));
        assertThat(text).isEqualTo("""
                trace 00ab: chain web, tcp 10.1.0.2:40000 -> 10.2.0.2:23
                forward
                  HOP  NODE          ADDRESS          SI     TTL   +MS     WHAT
                  1    ingress       10.99.0.1:4790   ->255  ->63  0.000   classified (rule web) -> 10.99.0.11:4790
                  2    acl (sf-acl)  10.99.0.11:4790  255    63    +0.250  dropped function_verdict by acl (rule no-telnet)
                dropped: dropped at acl: function_verdict (rule no-telnet)
                """);
    }
}
