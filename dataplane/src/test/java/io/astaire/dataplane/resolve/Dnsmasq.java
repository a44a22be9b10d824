package io.astaire.dataplane.resolve;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real DNS server for tests: dnsmasq on a free loopback port answering from a hosts file with
 * a short TTL. Skips the test (with the reason) when dnsmasq is not installed.
 */
public final class Dnsmasq implements AutoCloseable {

    private static final String BINARY = "/usr/sbin/dnsmasq";

    private final Process process;
    private final Path hosts;
    private final Path dir;
    private final int port;

    private Dnsmasq(Process process, Path dir, Path hosts, int port) {
        this.process = process;
        this.dir = dir;
        this.hosts = hosts;
        this.port = port;
    }

    /** Starts dnsmasq serving {@code lines} ("ip name" each) with TTL {@code ttlSeconds}. */
    public static Dnsmasq start(List<String> lines, int ttlSeconds) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of(BINARY)), "dnsmasq is not installed (apt-get install dnsmasq-base)");
        Path dir = Files.createTempDirectory("astaire-dns");
        Path hosts = dir.resolve("hosts");
        Files.write(hosts, lines);
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freePort();
            Process p = new ProcessBuilder(BINARY, "--no-daemon", "--no-resolv", "--no-hosts", "--port=" + port,
                    "--listen-address=127.0.0.1", "--bind-interfaces", "--addn-hosts=" + hosts,
                    "--local-ttl=" + ttlSeconds, "--pid-file=" + dir.resolve("pid"), "--user=root", "--log-facility=-")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
            // dnsmasq is ready once it answers on its TCP port (same port as UDP)
            for (int i = 0; i < 50 && p.isAlive(); i++) {
                try (var s = new java.net.Socket()) {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                    return new Dnsmasq(p, dir, hosts, port);
                } catch (IOException notYet) {
                    Thread.sleep(50);
                }
            }
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        throw new IOException("dnsmasq did not start: " + Files.readString(dir.resolve("log")));
    }

    private static int freePort() throws IOException {
        try (DatagramSocket u = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             ServerSocket t = new ServerSocket()) {
            int port = u.getLocalPort();
            t.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return port;
        } catch (IOException taken) {
            try (DatagramSocket u = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                return u.getLocalPort();
            }
        }
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** Replaces the answers; dnsmasq rereads its hosts files on SIGHUP. */
    public void hosts(List<String> lines) throws IOException, InterruptedException {
        Files.write(hosts, lines);
        new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }
}
