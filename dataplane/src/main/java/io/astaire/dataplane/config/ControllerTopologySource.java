package io.astaire.dataplane.config;

import io.astaire.model.ControllerProtocol;
import io.astaire.model.ModelException;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's topology from the controller's watch: a background thread long-polls
 * {@code GET /api/v1/topology?after=<version>}, which answers as soon as the controller holds a
 * newer version (or 304 after the poll timeout). When the controller is unreachable or answers
 * nonsense, the node keeps its last good version and the thread retries with a backoff of 100 ms
 * doubling to 5 s; each change between reachable and unreachable is logged once.
 */
public final class ControllerTopologySource implements TopologySource {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerTopologySource.class);
    /** The response header carrying the topology's version (the ETag carries it too). */
    public static final String VERSION_HEADER = ControllerProtocol.VERSION_HEADER;
    /** The response header carrying the newest version that is ready on every hop (make-before-break). */
    public static final String READY_VERSION_HEADER = ControllerProtocol.READY_VERSION_HEADER;
    /** Topologies of recent versions, so an edge can originate by a ready version older than the newest. */
    private static final int HISTORY = 16;
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private enum Link { CONNECTING, UP, DOWN }

    private final URI base;
    private final Duration firstWait;
    private final Duration pollTimeout;
    private final HttpClient client;
    /** A listener and the last version it has seen, so none gets a version twice or one it read from current(). */
    private record Subscriber(Consumer<Versioned> listener, AtomicLong seen, AtomicLong seenOrigin) {}

    private final List<Subscriber> listeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch first = new CountDownLatch(1);
    private final Thread thread;
    private final boolean followReadiness;
    private final java.util.LinkedHashMap<Long, Topology> history = new java.util.LinkedHashMap<>();
    private volatile Versioned current;
    private volatile boolean running = true;
    private volatile String lastProblem = "no answer yet";
    private Link link = Link.CONNECTING;
    private final ControllerCalls calls = new ControllerCalls("watch");

    /** Watches {@code controller}, waiting up to a minute for the first topology. */
    public ControllerTopologySource(URI controller) {
        this(controller, Duration.ofSeconds(60), Duration.ofSeconds(20));
    }

    /**
     * @param controller the controller's base URL, for example {@code http://10.0.0.1:8080}
     * @param firstWait how long {@link #current()} waits for the first topology before failing
     * @param pollTimeout how long one long poll waits on the controller for a change
     */
    public ControllerTopologySource(URI controller, Duration firstWait, Duration pollTimeout) {
        this(controller, firstWait, pollTimeout, false);
    }

    /**
     * An edge's watch: every version as it comes (for the paths the edge terminates), and as
     * {@link Versioned#origin()} the newest version the controller reports ready on every hop (for
     * the paths it originates and the classifier). A controller without readiness (no
     * {@value #READY_VERSION_HEADER} header) makes every version ready at once.
     */
    public static ControllerTopologySource forEdge(URI controller) {
        return new ControllerTopologySource(controller, Duration.ofSeconds(60), Duration.ofSeconds(20), true);
    }

    /** @param followReadiness whether {@link Versioned#origin()} follows the controller's ready version (edges) */
    public ControllerTopologySource(URI controller, Duration firstWait, Duration pollTimeout, boolean followReadiness) {
        this.followReadiness = followReadiness;
        String b = Objects.requireNonNull(controller, "controller").toString().replaceAll("/+$", "");
        if (!b.startsWith("http://") && !b.startsWith("https://")) {
            throw new IllegalArgumentException("--controller: '" + controller + "' is not an http:// or https:// URL");
        }
        this.base = URI.create(b);
        this.firstWait = firstWait;
        this.pollTimeout = pollTimeout;
        // HTTP/1.1: the controller (Jetty) speaks no cleartext HTTP/2, and with the default the client
        // offers an h2c upgrade on every new connection (seen: a poll sent as the controller stopped
        // hung for its whole request timeout).
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        this.thread = Thread.ofPlatform().daemon().name("topology-watch").start(this::run);
    }

    /** The controller this source watches. */
    public URI controller() {
        return base;
    }

    /**
     * Registers the watch's meters: {@code astaire_controller_connected} (1 while the last poll was
     * answered), {@code astaire_controller_last_sync_timestamp_seconds} (when it last was) and
     * {@code astaire_controller_failures_total{call="watch",reason}}.
     */
    public void bindMeters(MeterRegistry registry) {
        Gauge.builder("astaire.controller.connected", calls, c -> c.lastOk() ? 1 : 0)
                .description("Whether the last topology poll of the controller was answered (1) or not (0)").register(registry);
        Gauge.builder("astaire.controller.last.sync.timestamp.seconds", calls, ControllerCalls::lastSuccessSeconds)
                .description("When the controller last answered a topology poll (seconds since the epoch; NaN: never)").register(registry);
        calls.bind(registry);
    }

    @Override
    public Versioned current() {
        try {
            if (!first.await(firstWait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("no topology from the controller at " + base + " after " + firstWait.toSeconds()
                        + " s (" + lastProblem + "): is `astaire controller` running there?");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the first topology from " + base, e);
        }
        return current;
    }

    @Override
    public void subscribe(Consumer<Versioned> listener) {
        Versioned have = current;
        listeners.add(new Subscriber(Objects.requireNonNull(listener), new AtomicLong(have == null ? Long.MIN_VALUE : have.version()),
                new AtomicLong(have == null ? Long.MIN_VALUE : have.originVersion())));
    }

    private void run() {
        Duration backoff = MIN_BACKOFF;
        while (running) {
            Versioned have = current;
            long after = have == null ? -1 : have.version();
            // While the link is down, ask without parking: the first answer then says "reachable again"
            // at once, not after a whole poll timeout of a controller with nothing new.
            Duration wait = link == Link.UP ? pollTimeout : Duration.ZERO;
            try {
                String readyAfter = followReadiness && have != null ? "&readyAfter=" + readyAfter(have) : "";
                HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/v1/topology?after=" + after
                                + readyAfter + "&timeout=" + wait.toMillis() + "ms"))
                        .timeout(pollTimeout.plusSeconds(10))
                        .header("Accept", "application/json")
                        .GET()
                        .build();
                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 304) {
                    up();
                    backoff = MIN_BACKOFF;
                    continue;
                }
                if (response.statusCode() != 200) {
                    down(ControllerCalls.Failure.ofStatus(response.statusCode()),
                            "the controller answered " + response.statusCode() + ": " + abbreviate(response.body()));
                } else {
                    String v = response.headers().firstValue(VERSION_HEADER).orElse(null);
                    if (v == null) {
                        down(ControllerCalls.Failure.BAD_ANSWER, "the answer has no " + VERSION_HEADER + " header: is " + base + " an Astaire controller?");
                    } else {
                        String ready = response.headers().firstValue(READY_VERSION_HEADER).orElse(null);
                        long version = Long.parseLong(v.trim());
                        accept(version, TopologyCodec.parse(response.body()), ready == null ? version : Long.parseLong(ready.trim()));
                        up();
                        backoff = MIN_BACKOFF;
                        continue;
                    }
                }
            } catch (IOException e) {
                down(ControllerCalls.Failure.UNREACHABLE, "cannot reach it: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            } catch (ModelException | NumberFormatException e) {
                down(ControllerCalls.Failure.BAD_ANSWER, "it sent a topology that cannot be used: " + e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    /** The ready version this source last heard of, so the next poll also wakes when it moves. */
    private volatile long lastReadyVersion = -1;

    private long readyAfter(Versioned have) {
        return lastReadyVersion; // what the controller said, not what we send by: else a restarted controller (-1) answers at once, forever
    }

    private void accept(long version, Topology topology, long readyVersion) {
        Versioned have = current;
        lastReadyVersion = readyVersion;
        if (have != null && version < have.version()) {
            LOG.warn("topology: the controller at {} went back from version {} to {} (restored from a backup?); following it",
                    base, have.version(), version);
            history.clear();
            have = null;
        }
        history.put(version, topology);
        while (history.size() > HISTORY) {
            history.remove(history.keySet().iterator().next());
        }
        Versioned next = withOrigin(have, version, topology, readyVersion);
        if (have != null && have.version() == next.version() && have.originVersion() == next.originVersion()) {
            return;
        }
        current = next;
        first.countDown();
        if (have == null || have.version() != version) {
            LOG.info("topology: version {} from {} ({} functions, {} chains, {} rules){}", version, base,
                    topology.functions().size(), topology.chains().size(), topology.rules().size(),
                    next.originPending() ? "; sending by version " + next.originVersion() + " until it is ready on every hop" : "");
        } else {
            LOG.info("topology: version {} is ready on every hop; sending by it", next.originVersion());
        }
        for (Subscriber s : listeners) {
            long seenVersion = s.seen().getAndSet(version);
            long seenOrigin = s.seenOrigin().getAndSet(next.originVersion());
            if (seenVersion == version && seenOrigin == next.originVersion()) {
                continue;
            }
            try {
                s.listener().accept(next);
            } catch (RuntimeException e) {
                LOG.error("topology: a listener failed on version {}; the source carries on", version, e);
            }
        }
    }

    /**
     * Which version an edge originates by: the newest ready one this source holds the topology of,
     * never older than what it originates by now; at first start the newest (nothing of this edge
     * is in flight yet).
     */
    private Versioned withOrigin(Versioned have, long version, Topology topology, long readyVersion) {
        if (!followReadiness || readyVersion >= version || have == null) {
            return new Versioned(version, topology);
        }
        long originVersion = have.originVersion();
        Topology origin = have.origin();
        for (Map.Entry<Long, Topology> e : history.entrySet()) {
            if (e.getKey() <= readyVersion && e.getKey() > originVersion) {
                originVersion = e.getKey();
                origin = e.getValue();
            }
        }
        return new Versioned(version, topology, originVersion, origin);
    }

    private void up() {
        calls.succeeded();
        if (link != Link.UP) {
            if (link == Link.DOWN) {
                LOG.info("topology: the controller at {} is reachable again", base);
            }
            link = Link.UP;
        }
    }

    private void down(ControllerCalls.Failure why, String problem) {
        if (!running) {
            return; // closing: the failed poll is ours
        }
        calls.failed(why);
        lastProblem = problem;
        if (link != Link.DOWN) {
            Versioned have = current;
            LOG.warn("topology: controller at {}: {}; {} and retrying", base, problem,
                    have == null ? "no topology yet" : "keeping version " + have.version());
            link = Link.DOWN;
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        client.shutdownNow();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
