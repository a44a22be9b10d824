package io.astaire.dataplane.edge;

import io.astaire.dataplane.sys.Libc;
import io.astaire.dataplane.tun.RouteControl;
import io.astaire.dataplane.tun.RouteControl.Spec;
import io.astaire.dataplane.tun.TunException;
import io.astaire.model.IpPrefix;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes an edge owns (its {@code --route} prefixes): for each prefix a route into the edge's
 * TUN device and, behind it with a worse metric, an unreachable route. The edge installs both at
 * start and a watcher thread puts back, once a second, whatever someone removed (logged and
 * counted per restore). On a clean stop the edge deletes its TUN routes and leaves the unreachable
 * ones, so that while it is down (a sidecar restarting) the steered traffic fails closed instead
 * of leaving the pod on its default route, around the chain.
 *
 * <p>Works in the network namespace of the thread that calls {@link #install}: the watcher thread
 * is started from it and inherits it.
 */
public final class OwnedRoutes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OwnedRoutes.class);

    /** The metric of the routes into the TUN device (IPv6 has no metric 0: the kernel makes it 1024). */
    public static final int TUN_METRIC = 10;
    /** The metric of the unreachable routes behind them. */
    public static final int FAIL_CLOSED_METRIC = 4000;

    private final String role;
    private final List<Spec> tunRoutes;
    private final List<Spec> all;
    private final AtomicLong restored = new AtomicLong();
    private final AtomicLong restoreFailures = new AtomicLong();
    private volatile Thread watcher;
    private volatile boolean closed;

    private OwnedRoutes(String role, List<Spec> tunRoutes, List<Spec> all) {
        this.role = role;
        this.tunRoutes = tunRoutes;
        this.all = all;
    }

    /**
     * Installs the routes for {@code prefixes} into {@code device} (which must exist) and their
     * unreachable fallbacks; a route that is already there is kept. Fails naming the route the
     * kernel refused.
     */
    public static OwnedRoutes install(String role, String device, List<IpPrefix> prefixes) {
        List<Spec> tun = new ArrayList<>();
        List<Spec> all = new ArrayList<>();
        for (IpPrefix p : prefixes) {
            Spec into = Spec.into(p, device, TUN_METRIC);
            tun.add(into);
            all.add(into);
            all.add(Spec.unreachable(p, FAIL_CLOSED_METRIC));
        }
        OwnedRoutes routes = new OwnedRoutes(role, List.copyOf(tun), List.copyOf(all));
        for (Spec s : routes.all) {
            if (!RouteControl.exists(s)) {
                addIfMissing(s);
            }
        }
        if (!prefixes.isEmpty()) {
            LOG.info("{} owns {} route(s): {}", role, all.size(), all);
        }
        return routes;
    }

    /** Starts checking the routes every {@code interval} on a daemon thread (in the caller's namespace). */
    public OwnedRoutes watch(Duration interval) {
        if (all.isEmpty()) {
            return this;
        }
        Thread t = new Thread(() -> watchLoop(interval.toMillis()), role + "-routes");
        t.setDaemon(true);
        watcher = t;
        t.start();
        return this;
    }

    private void watchLoop(long intervalMillis) {
        boolean failing = false;
        while (!closed) {
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            }
            try {
                checkOnce();
                if (failing) {
                    LOG.info("{}: routes are in place again", role);
                }
                failing = false;
            } catch (RuntimeException e) {
                restoreFailures.incrementAndGet();
                if (!failing) { // once per streak, not once a second
                    LOG.error("{}: cannot restore a route: {}", role, e.getMessage());
                }
                failing = true;
            }
        }
    }

    /** Puts back every owned route that is missing; returns how many it restored. */
    int checkOnce() {
        int n = 0;
        for (Spec s : all) {
            if (closed) {
                break;
            }
            if (!RouteControl.exists(s)) {
                addIfMissing(s);
                restored.incrementAndGet();
                n++;
                LOG.warn("{}: route {} was removed; restored it", role, s);
            }
        }
        return n;
    }

    private static void addIfMissing(Spec s) {
        try {
            RouteControl.add(s);
        } catch (TunException e) {
            if (e.errno() != Libc.EEXIST) { // a race with whoever put it back: fine
                throw e;
            }
        }
    }

    /** The prefixes steered into the TUN device. */
    public List<IpPrefix> prefixes() {
        return tunRoutes.stream().map(Spec::prefix).toList();
    }

    /** Routes put back since start. */
    public long restored() {
        return restored.get();
    }

    /** Checks in which a missing route could not be put back. */
    public long restoreFailures() {
        return restoreFailures.get();
    }

    /** Stops the watcher and deletes the TUN routes; the unreachable routes stay (see the class comment). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Thread t = watcher;
        if (t != null) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Spec s : tunRoutes) {
            try {
                if (RouteControl.exists(s)) {
                    RouteControl.delete(s);
                }
            } catch (RuntimeException e) {
                LOG.debug("{}: route {} already gone: {}", role, s, e.getMessage()); // gone with the device
            }
        }
        if (!tunRoutes.isEmpty()) {
            LOG.info("{}: left {} so that steered traffic fails closed until the edge is back "
                    + "(remove with 'ip route del unreachable PREFIX metric {}')", role,
                    all.stream().filter(Spec::reject).toList(), FAIL_CLOSED_METRIC);
        }
    }
}
