package io.astaire.cli.demo;

import io.astaire.cli.lab.LabNamespace;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The traffic the demo keeps up while its table runs, on two threads of the client namespace:
 * one echo request every 0.2 s ({@code ping.log}), and a download of the 4 MiB file at 2 MB/s
 * followed by a knock on the denied port, again and again ({@code http-loop.log}). Each log line
 * says what one probe found, the way ping and curl would.
 */
final class ClientTraffic implements AutoCloseable {
    private static final long RATE = 2_000_000; // bytes/s: enough to see, not enough to fill the chain
    private final List<Thread> threads;
    private volatile boolean running = true;

    ClientTraffic(LabNamespace client, ClientProbes probes, String blobUrl, int deniedPort, Path logDir) {
        this.threads = List.of(
                client.startThread("demo-ping", () -> pingLoop(probes, logDir.resolve("ping.log"))),
                client.startThread("demo-http-loop", () -> httpLoop(probes, blobUrl, deniedPort, logDir.resolve("http-loop.log"))));
    }

    private void pingLoop(ClientProbes probes, Path log) {
        try (PrintWriter out = writer(log)) {
            for (int seq = 1; running; seq++) {
                ClientProbes.Pings p = probes.ping(1, Duration.ZERO, Duration.ofSeconds(2), seq);
                out.println(p.received() == 1
                        ? String.format(Locale.ROOT, "icmp_seq=%d time=%.3f ms", seq, p.rtts().getFirst().toNanos() / 1e6)
                        : "icmp_seq=" + seq + " no reply within 2 s");
                Thread.sleep(200);
            }
        } catch (InterruptedException stopped) {
            // close()
        }
    }

    private void httpLoop(ClientProbes probes, String blobUrl, int deniedPort, Path log) {
        try (PrintWriter out = writer(log)) {
            while (running) {
                ClientProbes.Download d = probes.download(blobUrl, RATE, Duration.ofSeconds(30));
                out.println(d.problem() != null ? "GET " + blobUrl + ": " + d.problem()
                        : String.format(Locale.ROOT, "%d %d bytes %.0f B/s%s", d.status(), d.bytes(), d.bytesPerSecond(),
                        d.intact() ? "" : " (NOT the server's bytes)"));
                if (!probes.connects(deniedPort, Duration.ofSeconds(1))) {
                    out.println("port " + deniedPort + ": no answer (the acl drops it)");
                } else {
                    out.println("port " + deniedPort + ": connected (the acl did not drop it)");
                }
                Thread.sleep(500);
            }
        } catch (InterruptedException stopped) {
            // close()
        }
    }

    private static PrintWriter writer(Path log) {
        try {
            return new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + log, e);
        }
    }

    @Override
    public void close() {
        running = false;
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
