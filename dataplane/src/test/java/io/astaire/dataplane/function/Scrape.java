package io.astaire.dataplane.function;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads samples back from a real Prometheus scrape (the text a node's /metrics serves). */
public final class Scrape {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private Scrape() {}

    /**
     * The value of the sample {@code name} whose labels include all of {@code labels}; NaN when
     * there is none. Fails when several samples match (the test should be more precise).
     */
    public static double value(PrometheusMeterRegistry registry, String name, Map<String, String> labels) {
        double found = Double.NaN;
        int matches = 0;
        for (String line : registry.scrape().split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.matches() || !m.group(1).equals(name)) {
                continue;
            }
            Map<String, String> present = new java.util.HashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    present.put(l.group(1), l.group(2));
                }
            }
            if (present.entrySet().containsAll(labels.entrySet())) {
                found = Double.parseDouble(m.group(4));
                matches++;
            }
        }
        if (matches > 1) {
            throw new AssertionError(matches + " samples of " + name + " match " + labels);
        }
        return found;
    }

    /** The number of samples named {@code name}. */
    public static long count(PrometheusMeterRegistry registry, String name) {
        return registry.scrape().lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " ")).count();
    }
}
