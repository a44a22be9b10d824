package io.astaire.systest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a Grafana dashboard's PromQL queries read (every {@code expr} of every panel,
 * and the template variables' queries), so a test can hold them against what the nodes export.
 * Not a PromQL parser: it removes what cannot be a metric name (label matchers, grouping clauses,
 * ranges, strings, numbers, functions, keywords) and keeps the identifiers left.
 */
final class GrafanaDashboard {
    /** The dashboard checked in under deploy/. */
    static final Path CHAIN = Path.of("..", "deploy", "grafana", "astaire-chain.json");

    private static final Pattern LABEL_MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern GROUPING = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\s*\\()?");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan");

    private GrafanaDashboard() {}

    /** Every query of the dashboard at {@code file}. */
    static List<String> queries(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        collect(new ObjectMapper().readTree(file.toFile()), out);
        return out;
    }

    private static void collect(JsonNode node, List<String> out) {
        if (node.isObject() && node.path("type").asText().equals("datasource")) {
            return; // a data source variable: its "query" is a plugin type, not PromQL
        }
        if (node.isObject()) {
            node.properties().forEach(e -> {
                if ((e.getKey().equals("expr") || e.getKey().equals("query")) && e.getValue().isTextual()) {
                    out.add(e.getValue().asText());
                } else {
                    collect(e.getValue(), out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collect(n, out));
        }
    }

    /** The metric names one query reads. */
    static Set<String> metricNames(String query) {
        String q = query.replace("$__rate_interval", "5m").replace("$__interval", "1m");
        q = STRING.matcher(q).replaceAll(" ");
        q = LABEL_MATCHERS.matcher(q).replaceAll(" ");
        q = GROUPING.matcher(q).replaceAll(" ");
        q = RANGE.matcher(q).replaceAll(" ");
        q = q.replaceAll("\\$\\w+", " "); // a dashboard variable outside a matcher
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(q);
        while (m.find()) {
            String word = m.group();
            boolean call = m.group(1) != null;
            if (!call && !KEYWORDS.contains(word.toLowerCase()) && !word.matches("\\d.*")) {
                names.add(word);
            }
        }
        // label_values(metric, label): the label is not a metric
        Matcher lv = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,\\s*(\\w+)\\s*\\)").matcher(query);
        while (lv.find()) {
            names.remove(lv.group(2));
        }
        return names;
    }

    /** The metric names of every query of the dashboard at {@code file}. */
    static Set<String> metricNames(Path file) throws IOException {
        Set<String> all = new TreeSet<>();
        for (String q : queries(file)) {
            all.addAll(metricNames(q));
        }
        return all;
    }

    /** The metric names of a Prometheus text exposition (histograms as their _bucket, _sum and _count series). */
    static Set<String> exported(String promText) {
        Set<String> names = new TreeSet<>();
        for (String line : promText.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = Pattern.compile("^[a-zA-Z_:][a-zA-Z0-9_:]*").matcher(line);
            if (m.find()) {
                names.add(m.group());
            }
        }
        return names;
    }
}
