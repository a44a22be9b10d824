package io.astaire.dataplane.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the controller, every {@code period}, that this node is alive: its role, the functions it
 * runs, the topology version it applied and its counters. {@code astaire get nodes} and
 * {@code astaire describe chain} show them. Runs on its own daemon thread, never on the packet
 * path; a controller that is down costs one log line per change of state, not one per attempt.
 */
public final class NodeStatusReporter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeStatusReporter.class);

    /**
     * The body of {@code POST /api/v1/nodes/{name}/status}.
     *
     * @param role {@code ingress}, {@code egress} or {@code sf}
     * @param functions the function names the node runs (empty for ingress and egress)
     * @param appliedVersion the topology version the node's tables are built from, or null
     * @param counters the node's counters by name, for example {@code acl.dropped}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Report(String role, List<String> functions, Long appliedVersion, Map<String, Long> counters) {
        public Report {
            functions = functions == null ? List.of() : List.copyOf(functions);
            counters = counters == null ? Map.of() : Map.copyOf(counters);
        }
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final URI uri;
    private final String name;
    private final String role;
    private final List<String> functions;
    private final LongSupplier appliedVersion;
    private final Supplier<Map<String, Long>> counters;
    private final Duration period;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean lastOk = true;
    private volatile long reports;

    /**
     * Starts reporting at once, then every {@code period}.
     *
     * @param controller the controller's base URL, for example {@code http://127.0.0.1:8080}
     * @param appliedVersion the version the node applied (a negative value when none yet)
     * @param counters read on the reporter's thread; must be safe to call from it
     */
    public NodeStatusReporter(URI controller, String name, String role, List<String> functions,
                              LongSupplier appliedVersion, Supplier<Map<String, Long>> counters, Duration period) {
        this.name = Objects.requireNonNull(name, "name");
        this.role = Objects.requireNonNull(role, "role");
        this.functions = List.copyOf(functions);
        this.appliedVersion = appliedVersion;
        this.counters = counters;
        this.period = period;
        String base = controller.toString().replaceAll("/+$", "");
        this.uri = URI.create(base + "/api/v1/nodes/" + URLEncoder.encode(name, StandardCharsets.UTF_8) + "/status");
        this.thread = Thread.ofPlatform().daemon().name("node-status-" + name).start(this::run);
    }

    /** Released by {@link #reportNow()} to cut the wait between two reports short. */
    private final java.util.concurrent.Semaphore wake = new java.util.concurrent.Semaphore(0);

    /**
     * Reports at once rather than at the end of the period: called after the node applied a
     * topology version, so the controller learns it within milliseconds and the edges can switch
     * to the new paths (make-before-break waits for these reports). Returns immediately.
     */
    public void reportNow() {
        wake.release();
    }

    /** How many reports the controller accepted: for tests and for the node's own metrics. */
    public long reportsAccepted() {
        return reports;
    }

    private void run() {
        while (running) {
            reportOnce();
            try {
                wake.tryAcquire(period.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                wake.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void reportOnce() {
        try {
            long v = appliedVersion.getAsLong();
            Report report = new Report(role, functions, v < 0 ? null : v, counters.get());
            HttpRequest request = HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(TopologyCodec.jsonMapper().writeValueAsString(report)))
                    .build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 == 2) {
                reports++;
                if (!lastOk) {
                    LOG.info("node status: the controller at {} accepts reports again", uri);
                    lastOk = true;
                }
            } else {
                failed("the controller answered " + response.statusCode() + ": " + response.body());
            }
        } catch (JsonProcessingException e) {
            failed("cannot encode the report: " + e.getMessage());
        } catch (IOException e) {
            failed("cannot reach the controller: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failed("cannot read the node's counters: " + e);
        }
    }

    private void failed(String why) {
        if (lastOk) {
            LOG.warn("node status for {} to {}: {} (will keep trying every {})", name, uri, why, period);
            lastOk = false;
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
