package io.astaire.cli.demo;

import io.astaire.cli.lab.IcmpEcho;
import io.astaire.cli.lab.LabNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What the demo's client does, from this process inside the client namespace (no ping or curl):
 * ICMP echo ({@link IcmpEcho}), an HTTP download with the JDK's HttpClient checked byte for byte
 * against the file the server serves, and a TCP connection to the port the acl denies. Every
 * method must run on a thread of the client namespace ({@link LabNamespace#call},
 * {@link LabNamespace#startThread}); the HttpClient and its threads were made in it.
 */
final class ClientProbes implements AutoCloseable {
    private final InetAddress server;
    private final byte[] expected;
    private final ExecutorService httpThreads;
    private final HttpClient http;

    /** What a round of pings found. */
    record Pings(int transmitted, int received, List<Duration> rtts) {
        boolean ok() {
            return transmitted > 0 && received == transmitted;
        }

        String line() {
            String s = transmitted + " packets transmitted, " + received + " received, "
                    + (transmitted == 0 ? 0 : 100 * (transmitted - received) / transmitted) + "% packet loss";
            if (rtts.isEmpty()) {
                return s;
            }
            double min = rtts.stream().mapToDouble(d -> d.toNanos() / 1e6).min().orElse(0);
            double avg = rtts.stream().mapToDouble(d -> d.toNanos() / 1e6).average().orElse(0);
            double max = rtts.stream().mapToDouble(d -> d.toNanos() / 1e6).max().orElse(0);
            return s + String.format(Locale.ROOT, ", rtt min/avg/max %.3f/%.3f/%.3f ms", min, avg, max);
        }
    }

    /** What one download found: the status, the bytes read, whether they are the file's, how fast. */
    record Download(int status, long bytes, boolean intact, double bytesPerSecond, String problem) {
        boolean ok(long size) {
            return status == 200 && bytes == size && intact;
        }
    }

    /** Makes the client's HttpClient; call on a thread of {@code client}, so its selector thread is in it too. */
    ClientProbes(LabNamespace client, InetAddress server, byte[] expected) {
        this.server = server;
        this.expected = expected;
        this.httpThreads = Executors.newCachedThreadPool(client.threads("demo-http-client"));
        this.http = HttpClient.newBuilder().executor(httpThreads).connectTimeout(Duration.ofSeconds(3))
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    /** {@code count} echo requests {@code interval} apart, each waiting up to {@code timeout} for its reply. */
    Pings ping(int count, Duration interval, Duration timeout, int firstSeq) throws InterruptedException {
        List<Duration> rtts = new ArrayList<>();
        try (IcmpEcho echo = new IcmpEcho((Inet4Address) server, (int) ProcessHandle.current().pid())) {
            for (int i = 0; i < count; i++) {
                if (i > 0) {
                    Thread.sleep(interval);
                }
                Duration rtt = echo.echo(firstSeq + i, timeout);
                if (rtt != null) {
                    rtts.add(rtt);
                }
            }
        }
        return new Pings(count, rtts.size(), rtts);
    }

    /**
     * GET {@code url}, comparing every byte with the file; at most {@code bytesPerSecond} when
     * positive (the background loop, which should not fill the chain), else as fast as it goes.
     */
    Download download(String url, long bytesPerSecond, Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        HttpResponse<InputStream> response;
        try {
            response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            return new Download(-1, 0, false, 0, e.toString());
        }
        long read = 0;
        boolean intact = true;
        byte[] chunk = new byte[64 * 1024];
        try (InputStream in = response.body()) {
            for (int n; (n = in.read(chunk)) > 0; ) {
                intact &= read + n <= expected.length
                        && Arrays.equals(chunk, 0, n, expected, (int) read, (int) read + n);
                read += n;
                if (bytesPerSecond > 0) {
                    long due = start + read * 1_000_000_000L / bytesPerSecond;
                    long ahead = due - System.nanoTime();
                    if (ahead > 0) {
                        Thread.sleep(Duration.ofNanos(ahead));
                    }
                }
            }
        } catch (IOException e) {
            return new Download(response.statusCode(), read, false, 0, e.toString());
        }
        double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        return new Download(response.statusCode(), read, intact, read / seconds, null);
    }

    /** Whether a TCP connection to {@code port} of the server is accepted within {@code timeout}. */
    boolean connects(int port, Duration timeout) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(server, port), (int) timeout.toMillis());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        http.shutdownNow();
        httpThreads.shutdownNow();
    }
}
