package io.astaire.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.astaire.controller.ControllerServer;
import io.astaire.controller.NodeRegistry;
import io.astaire.wire.NshHeader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code astaire sf --controller}: the node takes its topology from a real controller and reports its status there. */
class SfCommandControllerTest {

    static final String TOKEN = "sf-test-token";

    @TempDir
    Path dir;

    @Test
    void aNodeRunsTheControllersTopologyAndReportsItsCountersAndWhatItRefused() throws Exception {
        try (ControllerServer controller = ControllerServer.open(dir.resolve("astaire.db"), "127.0.0.1", 0, TOKEN);
             DatagramSocket sink = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket gen = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            sink.setSoTimeout(10_000);
            int port;
            try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            String url = "http://127.0.0.1:" + controller.port();
            Path topology = dir.resolve("t.yaml");
            Files.writeString(topology, """
                    functions:
                      - {name: a, kind: passthrough, address: "127.0.0.1:%d"}
                    chains:
                      - {name: web, spi: 7, symmetric: false, functions: [a]}
                    egress: {address: "127.0.0.1:%d"}
                    """.formatted(port, sink.getLocalPort()));
            assertThat(SfCommandTest.run("apply", "--controller", url, "--token=" + TOKEN, "-f", topology.toString()).exit()).isZero();

            CommandLine cli = AstaireCommand.commandLine();
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(err));
            SfCommand sf = cli.getSubcommands().get("sf").getCommand();
            Path nodeToken = dir.resolve("sf-a-test.token");
            Files.writeString(nodeToken, controller.nodeSecret().tokenFor("sf-a-test")); // its own token, NAME:TOKEN
            Files.setPosixFilePermissions(nodeToken, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute("sf",
                    "--function", "a", "--controller", url, "--listen", "127.0.0.1:" + port, "--workers", "1",
                    "--metrics-listen", "none", "--name", "sf-a-test", "--report-interval", "200ms",
                    "--node-token-file", nodeToken.toString()));
            await().atMost(Duration.ofSeconds(30)).until(() -> sf.node != null || exit.isDone());
            assertThat(exit.isDone()).as("sf exited early: " + out + err).isFalse();

            byte[] datagram = SfCommandTest.datagram(7, 255, 63);
            gen.send(new DatagramPacket(datagram, datagram.length, new InetSocketAddress("127.0.0.1", port)));
            DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
            sink.receive(got);
            NshHeader nsh = new NshHeader().wrap(ByteBuffer.wrap(got.getData(), 0, got.getLength()), 8);
            assertThat(nsh.spi()).isEqualTo(7);
            assertThat(nsh.si()).isEqualTo(254);

            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                NodeRegistry.NodeStatus status = controller.nodes().get("sf-a-test");
                assertThat(status).isNotNull();
                assertThat(status.role()).isEqualTo("sf");
                assertThat(status.functions()).containsExactly("a");
                assertThat(status.appliedVersion()).isNotNull().isPositive();
                assertThat(status.counters()).containsEntry("forwarded", 1L).containsEntry("a.processed", 1L);
            });

            // A kind the controller cannot check is stored; the node refuses it, keeps forwarding
            // with the version it runs, and its next report says which version it refused and why.
            long running = sf.node.topologyVersion();
            Files.writeString(topology, Files.readString(topology).replace("kind: passthrough", "kind: no-such-kind"));
            assertThat(SfCommandTest.run("apply", "--controller", url, "--token=" + TOKEN, "-f", topology.toString()).exit()).isZero();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                NodeRegistry.NodeStatus status = controller.nodes().get("sf-a-test");
                assertThat(status.rejected()).isNotNull();
                assertThat(status.rejected().version()).isGreaterThan(running);
                assertThat(status.rejected().reason()).contains("no-such-kind");
                assertThat(status.appliedVersion()).isEqualTo(running);
            });
            gen.send(new DatagramPacket(datagram, datagram.length, new InetSocketAddress("127.0.0.1", port)));
            sink.receive(got);
            assertThat(new NshHeader().wrap(ByteBuffer.wrap(got.getData(), 0, got.getLength()), 8).si()).isEqualTo(254);
            sf.stop.countDown();
            assertThat(exit.get(10, TimeUnit.SECONDS)).isZero();
        }
    }
}
