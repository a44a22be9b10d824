package io.astaire.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * The demo's relay to its controller, here to an upstream in this namespace: bytes go both ways,
 * half-close passes through, a dead upstream closes the client's connection (the page then says
 * the controller is unreachable), and a taken port is refused with what to do.
 */
class UiRelayTest {

    @Test
    void relaysBothWaysUntilTheClientIsDone() throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             UiRelay relay = UiRelay.start(UiRelay.bind(0), Thread.ofPlatform().daemon().factory(), address(upstream))) {
            // An upstream that answers what it read, once the client has finished sending.
            Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = upstream.accept()) {
                    byte[] got = s.getInputStream().readAllBytes();
                    s.getOutputStream().write(("echo:" + new String(got, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
                } catch (Exception e) {
                    // the test fails on what the client reads
                }
            });
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), relay.port())) {
                client.setSoTimeout(5000);
                OutputStream out = client.getOutputStream();
                out.write("GET /ui HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                        .isEqualTo("echo:GET /ui HTTP/1.0\r\n\r\n");
            }
        }
    }

    @Test
    void aDeadUpstreamClosesTheClientsConnection() throws Exception {
        InetSocketAddress nobody;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            nobody = address(s); // closed again: nothing listens there
        }
        try (UiRelay relay = UiRelay.start(UiRelay.bind(0), Executors.defaultThreadFactory(), nobody);
             Socket client = new Socket(InetAddress.getLoopbackAddress(), relay.port())) {
            client.setSoTimeout(10_000);
            InputStream in = client.getInputStream();
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void aTakenPortSaysWhatToDo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> UiRelay.bind(taken.getLocalPort()))
                    .isInstanceOf(UiRelay.PortInUse.class)
                    .hasMessageContaining("127.0.0.1:" + taken.getLocalPort())
                    .hasMessageContaining("--ui-port N (0: any free one)");
        }
    }

    private static InetSocketAddress address(ServerSocket s) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
    }
}
