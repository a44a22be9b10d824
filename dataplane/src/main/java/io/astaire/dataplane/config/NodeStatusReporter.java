package io.astaire.dataplane.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.astaire.model.ControllerProtocol;
import io.astaire.model.NodeReport;
import io.astaire.model.NodeToken;
import io.astaire.model.TopologyCodec;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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
 * Each report carries the node's own token ({@link NodeToken}), derived from the credential it is
 * given; the credential never reaches a log.
 */
public final class NodeStatusReporter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeStatusReporter.class);

    /** The credential set by the command line ({@code --node-token-file}); else {@code $ASTAIRE_NODE_TOKEN}. */
    /** {@code $ASTAIRE_NODE_TOKEN} (a node token {@code NAME:TOKEN} or the fleet's node secret), else null. */
    public static String defaultCredential() {
        String env = System.getenv(ControllerProtocol.NODE_TOKEN_ENV);
        return env == null || env.isBlank() ? null : env.trim();
    }

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1) // no h2c upgrade: see ControllerTopologySource
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final URI uri;
    private final String bearer;
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
    private final ControllerCalls calls = new ControllerCalls("report");
    private volatile Supplier<NodeReport.Rejected> rejection = () -> null;
    /** Released by {@link #reportNow()} to cut the wait between two reports short. */
    private final java.util.concurrent.Semaphore wake = new java.util.concurrent.Semaphore(0);

    /**
     * Starts reporting at once, then every {@code period}.
     *
     * @param controller the controller's base URL, for example {@code http://127.0.0.1:8080}
     * @param appliedVersion the version the node applied (a negative value when none yet)
     * @param counters read on the reporter's thread; must be safe to call from it
     */
    public NodeStatusReporter(URI controller, String name, String role, List<String> functions,
                              LongSupplier appliedVersion, Supplier<Map<String, Long>> counters, Duration period) {
        this(controller, name, defaultCredential(), role, functions, appliedVersion, counters, period);
    }

    /**
     * @param credential the node's token ({@code NAME:TOKEN}) or the node secret; null sends none (the controller refuses)
     * @throws IllegalArgumentException when the credential is a token bound to another name
     */
    public NodeStatusReporter(URI controller, String name, String credential, String role, List<String> functions,
                              LongSupplier appliedVersion, Supplier<Map<String, Long>> counters, Duration period) {
        this.name = Objects.requireNonNull(name, "name");
        this.bearer = credential == null ? null : NodeToken.bearerFor(credential, name);
        if (bearer == null) {
            LOG.warn("node status for {}: no node token (--node-token-file or ${}); the controller will refuse the reports",
                    name, ControllerProtocol.NODE_TOKEN_ENV);
        }
        this.role = Objects.requireNonNull(role, "role");
        this.functions = List.copyOf(functions);
        this.appliedVersion = appliedVersion;
        this.counters = counters;
        this.period = period;
        String base = controller.toString().replaceAll("/+$", "");
        this.uri = URI.create(base + "/api/v1/nodes/" + URLEncoder.encode(name, StandardCharsets.UTF_8) + "/status");
        this.thread = Thread.ofPlatform().daemon().name("node-status-" + name).start(this::run);
    }

    /** Where each report reads the last topology version the node refused (null while none); read on the reporter's thread. */
    public NodeStatusReporter rejection(Supplier<NodeReport.Rejected> source) {
        this.rejection = Objects.requireNonNull(source, "source");
        return this;
    }

    /**
     * Reports at once rather than at the end of the period: called after the node applied a
     * topology version, so the controller learns it within milliseconds and the edges can switch
     * to the new paths (make-before-break waits for these reports). Returns immediately.
     */
    public void reportNow() {
        wake.release();
    }

    /**
     * Registers the reports' meters: {@code astaire_controller_last_report_timestamp_seconds} (when
     * the controller last accepted one) and {@code astaire_controller_failures_total{call="report",reason}}.
     */
    public NodeStatusReporter bindMeters(MeterRegistry registry) {
        Gauge.builder("astaire.controller.last.report.timestamp.seconds", calls, ControllerCalls::lastSuccessSeconds)
                .description("When the controller last accepted this node's status report (seconds since the epoch; NaN: never)")
                .register(registry);
        calls.bind(registry);
        return this;
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
            NodeReport report = new NodeReport(role, functions, v < 0 ? null : v, counters.get(), period.toMillis(), rejection.get());
            HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(TopologyCodec.jsonMapper().writeValueAsString(report)));
            if (bearer != null) {
                request.header("Authorization", "Bearer " + bearer);
            }
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 == 2) {
                reports++;
                calls.succeeded();
                if (!lastOk) {
                    LOG.info("node status: the controller at {} accepts reports again", uri);
                    lastOk = true;
                }
            } else {
                failed(ControllerCalls.Failure.ofStatus(response.statusCode()),
                        "the controller answered " + response.statusCode() + ": " + response.body());
            }
        } catch (JsonProcessingException e) {
            failed(ControllerCalls.Failure.LOCAL_ERROR, "cannot encode the report: " + e.getMessage());
        } catch (IOException e) {
            failed(ControllerCalls.Failure.UNREACHABLE, "cannot reach the controller: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failed(ControllerCalls.Failure.LOCAL_ERROR, "cannot read the node's counters: " + e);
        }
    }

    private void failed(ControllerCalls.Failure reason, String why) {
        calls.failed(reason);
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
