package io.astaire.cli.demo;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders the per-hop table: packets per second both ways (from two scrapes), packet and byte
 * totals, drops and their reasons. Plain text, 80 columns, no colours, so that it reads the same
 * on a terminal, in a log and in a test's output.
 */
public final class HopTable {
    private HopTable() {}

    /**
     * @param now the latest samples, in path order
     * @param before the samples of the previous refresh (same order), or null on the first one
     */
    public static String render(List<Hop.Sample> now, List<Hop.Sample> before) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-8s %-8s %-21s %8s %8s %9s %9s %9s %6s%n",
                "HOP", "NETNS", "DOES", "PKT/S ->", "PKT/S <-", "PKTS ->", "PKTS <-", "BYTES", "DROPS"));
        for (int i = 0; i < now.size(); i++) {
            Hop.Sample s = now.get(i);
            Hop.Sample p = before == null ? null : before.get(i);
            Hop hop = s.hop();
            if (!s.up()) {
                b.append(String.format(Locale.ROOT, "%-8s %-8s %-21s %s%n", hop.label(), hop.role(), hop.job(),
                        "(not answering on :" + DemoTopology.METRICS_PORT + "/metrics)"));
                continue;
            }
            b.append(String.format(Locale.ROOT, "%-8s %-8s %-21s %8s %8s %9d %9d %9s %6d%n",
                    hop.label(), hop.role(), hop.job(),
                    rate(p, s, p == null ? 0 : p.forward(), s.forward()),
                    rate(p, s, p == null ? 0 : p.reverse(), s.reverse()),
                    s.forward(), s.reverse(), bytes(s.bytes()), s.drops()));
        }
        StringBuilder reasons = new StringBuilder();
        for (Hop.Sample s : now) {
            for (Map.Entry<String, Long> e : s.dropReasons().entrySet()) {
                reasons.append(reasons.isEmpty() ? "drops: " : ", ")
                        .append(s.hop().label()).append(' ').append(e.getKey()).append('=').append(e.getValue());
            }
        }
        if (!reasons.isEmpty()) {
            b.append(reasons).append(System.lineSeparator());
        }
        return b.toString();
    }

    private static String rate(Hop.Sample before, Hop.Sample now, long from, long to) {
        if (before == null || !before.up()) {
            return "-";
        }
        double seconds = (now.nanos() - before.nanos()) / 1e9;
        if (seconds <= 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.0f", Math.max(0, to - from) / seconds);
    }

    /** 1234567 -> "1.2 MB" (decimal units, like the rates tools print). */
    public static String bytes(long n) {
        if (n < 1000) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }
}
