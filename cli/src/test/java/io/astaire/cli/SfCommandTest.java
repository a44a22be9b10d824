package io.astaire.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.wire.Checksums;
import io.astaire.wire.GpeNshPacket;
import io.astaire.wire.NshHeader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SfCommandTest {

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = AstaireCommand.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void helpDescribesBothModesAndExitsZero() {
        Run r = run("sf", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Usage: astaire sf").contains("--function").contains("--topology")
                .contains("--controller").contains("--kind").contains("--next").contains("--metrics-listen").contains("--workers");
    }

    @Test
    void aMissingFlagFailsWithAMessageNamingIt() {
        Run r = run("sf", "--kind", "passthrough", "--listen", "127.0.0.1:0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--next");
        Run both = run("sf", "--function", "a");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--topology").contains("--controller");
        Run badListen = run("sf", "--kind", "passthrough", "--listen", "127.0.0.1:99999", "--next", "127.0.0.1:9");
        assertThat(badListen.exit()).isEqualTo(2);
        assertThat(badListen.err()).contains("--listen").contains("99999");
        Run badDuration = run("sf", "--kind", "passthrough", "--listen", "127.0.0.1:0", "--next", "127.0.0.1:9", "--dns-min-ttl", "soon");
        assertThat(badDuration.exit()).isEqualTo(2);
        assertThat(badDuration.err()).contains("--dns-min-ttl");
    }

    @Test
    void badOffloadOrSourcePortsFailWithTheFlagNamed() {
        Run offload = run("sf", "--kind", "passthrough", "--listen", "127.0.0.1:0", "--next", "127.0.0.1:9", "--offload", "maybe");
        assertThat(offload.exit()).isEqualTo(2);
        assertThat(offload.err()).contains("--offload must be auto or off, was maybe");
        Run ports = run("sf", "--kind", "passthrough", "--listen", "127.0.0.1:0", "--next", "127.0.0.1:9", "--source-ports", "0");
        assertThat(ports.exit()).isEqualTo(2);
        assertThat(ports.err()).contains("--source-ports").contains("1-64");
        assertThat(run("sf", "--help").out()).contains("--offload").contains("--source-ports");
    }

    @Test
    void aBadTopologyFailsWithTheFieldNamed() throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
                functions:
                  - {name: a, kind: passthrough, address: "127.0.0.1:4791"}
                chains:
                  - {name: web, functions: [a, nope]}
                egress: {address: "127.0.0.1:4794"}
                ingress: {address: "127.0.0.1:4790"}
                """);
        Run r = run("sf", "--function", "a", "--topology", file.toString(), "--metrics-listen", "none");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("chains[0].functions[1]").contains("nope");
    }

    @Test
    void anUnknownFunctionOrKindIsNamed() throws Exception {
        Path file = dir.resolve("ok.yaml");
        Files.writeString(file, """
                functions:
                  - {name: a, kind: passthrough, address: "127.0.0.1:0"}
                  - {name: b, kind: no-such-kind, address: "127.0.0.1:0"}
                chains:
                  - {name: web, symmetric: false, functions: [a, b]}
                egress: {address: "127.0.0.1:4794"}
                """.replace(":0\"", ":4791\""));
        Run missing = run("sf", "--function", "zzz", "--topology", file.toString(), "--metrics-listen", "none");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--function").contains("zzz");
        Run unknownKind = run("sf", "--function", "b", "--topology", file.toString(), "--metrics-listen", "none",
                "--listen", "127.0.0.1:0");
        assertThat(unknownKind.exit()).isEqualTo(2);
        assertThat(unknownKind.err()).contains("functions.b.kind").contains("no-such-kind");
    }

    @Test
    void fixedModeForwardsWithTheBuiltInPassthroughAndServesMetrics() throws Exception {
        try (DatagramSocket sink = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket gen = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            sink.setSoTimeout(10_000);
            CommandLine cli = AstaireCommand.commandLine();
            StringWriter out = new StringWriter();
            cli.setOut(new PrintWriter(out));
            SfCommand sf = cli.getSubcommands().get("sf").getCommand();
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute("sf",
                    "--kind", "passthrough", "--listen", "127.0.0.1:0", "--next", "127.0.0.1:" + sink.getLocalPort(),
                    "--workers", "1", "--metrics-listen", "127.0.0.1:0"));
            await().atMost(Duration.ofSeconds(20)).until(() -> sf.node != null || exit.isDone());
            assertThat(exit.isDone()).as("sf exited early: " + out).isFalse();
            InetSocketAddress node = sf.node.localAddress();
            byte[] datagram = datagram(10, 255, 63);
            gen.send(new DatagramPacket(datagram, datagram.length, node));
            DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
            sink.receive(got);
            ByteBuffer b = ByteBuffer.wrap(got.getData(), 0, got.getLength());
            NshHeader nsh = new NshHeader().wrap(b, 8);
            assertThat(nsh.spi()).isEqualTo(10);
            assertThat(nsh.si()).isEqualTo(254);
            assertThat(nsh.ttl()).isEqualTo(62);
            int port = sf.node.metricsAddress().getPort();
            HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body()).contains("astaire_sf_packets_sent_total{spi=\"any\"} 1.0");
            sf.stop.countDown();
            assertThat(exit.get(10, TimeUnit.SECONDS)).isZero();
            assertThat(out.toString()).contains("listening on UDP");
        }
    }

    /** GPE + NSH MD1 around a 40-byte IPv4/UDP packet. */
    static byte[] datagram(int spi, int si, int ttl) {
        int inner = 20 + 8 + 12;
        ByteBuffer b = ByteBuffer.allocate(GpeNshPacket.HEADROOM_MD1 + inner);
        int o = GpeNshPacket.HEADROOM_MD1;
        b.put(o, (byte) 0x45);
        b.putShort(o + 2, (short) inner);
        b.put(o + 8, (byte) 64);
        b.put(o + 9, (byte) 17);
        b.putInt(o + 12, 0x0A000001);
        b.putInt(o + 16, 0x0A000002);
        b.putShort(o + 20, (short) 5000);
        b.putShort(o + 22, (short) 80);
        b.putShort(o + 24, (short) 20);
        b.putShort(o + 10, (short) Checksums.ipv4Header(b, o, 20));
        GpeNshPacket.encapsulateMd1(b, o, inner, spi, si, ttl, NshHeader.NEXT_PROTOCOL_IPV4);
        return b.array();
    }
}
