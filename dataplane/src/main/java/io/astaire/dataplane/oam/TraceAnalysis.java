package io.astaire.dataplane.oam;

import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Turns the reports of one trace into its result: the hops in path order (forward leg, then the
 * reverse one; on each the edge that classified the probe, the function nodes by falling service
 * index, the edge it arrived at), each with its time since the first, and an outcome with one
 * line that says where the probe ended and why.
 */
final class TraceAnalysis {

    private static final Comparator<TraceHop> PATH_ORDER = Comparator
            .comparingInt((TraceHop h) -> h.reverse() ? 1 : 0)
            .thenComparingInt(TraceAnalysis::stage)
            .thenComparingInt(h -> h.siIn() == null ? 0 : 255 - h.siIn())
            .thenComparingLong(TraceHop::atMicros);

    private TraceAnalysis() {}

    /** 0: the edge that put the probe on a path; 1: a function node; 2: where the path ends. */
    private static int stage(TraceHop h) {
        if ("sf".equals(h.role())) {
            return 1;
        }
        return h.siIn() == null ? 0 : 2;
    }

    /** What makes two reports the same hop (a resent request is reported again). */
    static String key(TraceHop h) {
        return h.direction() + "|" + h.role() + "|" + h.address() + "|" + h.siIn() + "|" + h.verdict();
    }

    /** Whether the probe's journey is over: a hop dropped it, or it arrived where nothing follows. */
    static boolean complete(Collection<TraceHop> hops) {
        for (TraceHop h : hops) {
            if (TraceHop.DROPPED.equals(h.verdict())) {
                return true;
            }
            if (TraceHop.ARRIVED.equals(h.verdict()) && (h.reverse() || h.next() == null)) {
                return true;
            }
        }
        return false;
    }

    static TraceResult result(String id, TracePlan plan, List<TraceHop> reported, InetSocketAddress ingress, Duration timeout) {
        List<TraceHop> sorted = reported.stream().sorted(PATH_ORDER).toList();
        long first = sorted.stream().mapToLong(TraceHop::atMicros).min().orElse(0);
        List<TraceHop> hops = sorted.stream().map(h -> h.withElapsed(h.atMicros() - first)).toList();
        String note = classifiedElsewhere(plan, hops);
        for (TraceHop h : hops) {
            if (TraceHop.DROPPED.equals(h.verdict())) {
                if ("no_match".equals(h.reason())) {
                    return new TraceResult(id, plan.chain(), plan.flow(), TraceResult.NO_MATCH,
                            "no rule matched at the " + h.role() + ": " + (h.detail() != null ? h.detail() : plan.flow()), hops);
                }
                String where = h.reverse() ? " on the reverse path" : "";
                String by = h.droppedBy() != null && !h.droppedBy().equals(h.label()) ? " by " + h.droppedBy() : "";
                String why = h.detail() != null ? " (" + h.detail() + ")" : "";
                return new TraceResult(id, plan.chain(), plan.flow(), TraceResult.DROPPED,
                        "dropped at " + h.label() + where + ": " + h.reason() + by + why + note, hops);
            }
        }
        if (complete(hops)) {
            long forward = hops.stream().filter(h -> !h.reverse()).count();
            long reverse = hops.size() - forward;
            long total = hops.isEmpty() ? 0 : hops.getLast().elapsedMicros();
            String legs = reverse > 0 ? "at the egress and back at the ingress: " + forward + " hops forward, " + reverse + " back"
                    : "at the egress: " + forward + " hops";
            return new TraceResult(id, plan.chain(), plan.flow(), TraceResult.ARRIVED,
                    "arrived " + legs + ", " + millis(total) + " ms" + note, hops);
        }
        if (hops.isEmpty()) {
            return new TraceResult(id, plan.chain(), plan.flow(), TraceResult.LOST,
                    "no node reported within " + timeout.toMillis() + " ms: the ingress at " + NetUtil.toSocketAddressString(ingress)
                            + " did not answer (not running, unreachable from here, or a version without trace)", hops);
        }
        TraceHop last = hops.getLast();
        String next = last.next() != null ? " sent it to " + last.next() + " and" : "";
        return new TraceResult(id, plan.chain(), plan.flow(), TraceResult.LOST,
                "lost after " + last.label() + (last.reverse() ? " on the reverse path" : "") + " (" + last.address() + "):"
                        + next + " no report came from the next hop within " + timeout.toMillis()
                        + " ms (it is down, unreachable, or runs a version without trace)" + note, hops);
    }

    /** A remark when the ingress put the probe on another chain than the one traced. */
    private static String classifiedElsewhere(TracePlan plan, List<TraceHop> hops) {
        for (TraceHop h : hops) {
            if (!h.reverse() && TraceHop.CLASSIFIED.equals(h.verdict()) && h.spi() != null && h.spi() != plan.expectedSpi()) {
                return "; note: the classifier put the probe on SPI " + h.spi() + ", not chain " + plan.chain()
                        + "'s SPI " + plan.expectedSpi();
            }
        }
        return "";
    }

    static String millis(long micros) {
        return String.format(Locale.ROOT, "%.3f", micros / 1000.0);
    }
}
