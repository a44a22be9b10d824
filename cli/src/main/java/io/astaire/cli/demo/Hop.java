package io.astaire.cli.demo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node of the demo's chain as the table shows it, and how its counters are read from its
 * {@code /metrics}: "forward" is what the node handled of the client-to-server path (SPI
 * {@value DemoTopology#SPI}), "reverse" of the replies (the reverse SPI).
 *
 * @param label what the table calls it (ingress, acl, count, pass, egress)
 * @param role the lab role whose namespace it runs in
 * @param job what it does, in a few words
 * @param edge true for the ingress and the egress, false for a function node
 */
public record Hop(String label, String role, String job, boolean edge) {

    /** The five hops in path order. */
    public static List<Hop> all() {
        List<Hop> hops = new java.util.ArrayList<>();
        hops.add(new Hop("ingress", "ingress", "classify, encapsulate", true));
        for (DemoTopology.Function f : DemoTopology.FUNCTIONS) {
            hops.add(new Hop(f.name(), f.role(), "function " + f.kind(), false));
        }
        hops.add(new Hop("egress", "egress", "decapsulate, deliver", true));
        return List.copyOf(hops);
    }

    /** The counters of this hop in one scrape of its /metrics (or {@link Sample#down} when it did not answer). */
    public Sample read(PromSamples m, long nanos) {
        String fwd = "spi=\"" + DemoTopology.SPI + "\"";
        String rev = "spi=\"" + DemoTopology.REVERSE_SPI + "\"";
        if (edge) {
            boolean ingress = role.equals("ingress");
            long forward = ingress ? m.sum("astaire_edge_path_sent_packets_total", fwd)
                    : m.sum("astaire_edge_path_delivered_packets_total", fwd);
            long reverse = ingress ? m.sum("astaire_edge_path_delivered_packets_total", rev)
                    : m.sum("astaire_edge_path_sent_packets_total", rev);
            long bytes = m.sum("astaire_edge_sent_bytes_total") + m.sum("astaire_edge_tun_written_bytes_total");
            Map<String, Long> drops = m.nonZeroBy("astaire_edge_dropped_packets_total", "reason");
            return new Sample(this, true, forward, reverse, bytes, total(drops), drops, nanos);
        }
        long forward = m.sum("astaire_sf_packets_received_total", fwd);
        long reverse = m.sum("astaire_sf_packets_received_total", rev);
        long bytes = m.sum("astaire_sf_bytes_received_total");
        Map<String, Long> drops = m.nonZeroBy("astaire_sf_dropped_packets_total", "reason", "detail");
        return new Sample(this, true, forward, reverse, bytes, total(drops), drops, nanos);
    }

    private static long total(Map<String, Long> drops) {
        return drops.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * A hop's counters at one moment.
     *
     * @param up false when its /metrics did not answer (then the counts are zero)
     * @param bytes bytes the node received from the previous hop (edges: sent plus delivered)
     * @param dropReasons non-zero drop counters by reason (and detail)
     */
    public record Sample(Hop hop, boolean up, long forward, long reverse, long bytes, long drops,
                         Map<String, Long> dropReasons, long nanos) {
        public Sample {
            dropReasons = new LinkedHashMap<>(dropReasons);
        }

        public static Sample down(Hop hop, long nanos) {
            return new Sample(hop, false, 0, 0, 0, 0, Map.of(), nanos);
        }

        public boolean carriedBothWays() {
            return forward > 0 && reverse > 0;
        }
    }
}
