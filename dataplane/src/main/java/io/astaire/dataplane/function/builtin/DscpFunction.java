package io.astaire.dataplane.function.builtin;

import io.astaire.function.FunctionConfig;
import io.astaire.function.PacketContext;
import io.astaire.function.ServiceFunction;
import io.astaire.function.Verdict;
import io.astaire.wire.InnerPacket;
import io.micrometer.core.instrument.Tags;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Marks packets: sets the DSCP of the inner IPv4 header (updating the header checksum
 * incrementally, RFC 1624) or of the IPv6 traffic class, keeping the ECN bits.
 *
 * <pre>
 * config:
 *   dscp: EF     # 0-63, or a name: EF, VA, DF/BE, CS0-CS7, AF11-AF43
 * </pre>
 *
 * Metric: {@code astaire_dscp_packets_total{function, result=marked|unchanged}}.
 */
public final class DscpFunction implements ServiceFunction {
    public static final String KIND = "dscp";

    private static final Map<String, Integer> NAMES = names();

    private int dscp;
    private MeterSet metrics;
    private final LongAdder marked = new LongAdder();
    private final LongAdder unchanged = new LongAdder();

    private static Map<String, Integer> names() {
        Map<String, Integer> m = new java.util.HashMap<>();
        m.put("DF", 0);
        m.put("BE", 0);
        m.put("EF", 46);
        m.put("VA", 44);
        for (int cs = 0; cs <= 7; cs++) {
            m.put("CS" + cs, cs << 3);
        }
        for (int af = 1; af <= 4; af++) {
            for (int drop = 1; drop <= 3; drop++) {
                m.put("AF" + af + drop, af << 3 | drop << 1);
            }
        }
        return Map.copyOf(m);
    }

    /** The code point a config value names: a number 0-63 or a standard name; -1 if neither. */
    static int parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        if (s.matches("\\d{1,2}")) {
            int n = Integer.parseInt(s);
            return n <= 63 ? n : -1;
        }
        return NAMES.getOrDefault(s, -1);
    }

    @Override
    public void configure(FunctionConfig config) {
        for (String key : config.raw().keySet()) {
            if (!key.equals("dscp")) {
                throw config.invalid(key, "unknown field '" + key + "' (known: dscp)");
            }
        }
        String value = config.requireString("dscp");
        dscp = parse(value);
        if (dscp < 0) {
            throw config.invalid("dscp", "'" + value + "' is not 0-63 or one of EF, VA, DF, BE, CS0-CS7, AF11-AF43");
        }
        metrics = new MeterSet(config.meters(), config.tags());
        metrics.counter("astaire.dscp.packets", "Packets seen by the dscp function, by result: marked or unchanged",
                null, Tags.of("result", "marked"), marked, LongAdder::sum);
        metrics.counter("astaire.dscp.packets", "Packets seen by the dscp function, by result: marked or unchanged",
                null, Tags.of("result", "unchanged"), unchanged, LongAdder::sum);
    }

    @Override
    public Verdict process(PacketContext packet) {
        InnerPacket ip = packet.inner();
        if (ip.dscp() == dscp) {
            unchanged.increment();
        } else {
            ip.dscp(dscp); // keeps ECN; updates the IPv4 header checksum incrementally (RFC 1624)
            marked.increment();
        }
        return Verdict.FORWARD;
    }

    @Override
    public void stop() {
        if (metrics != null) {
            metrics.close();
        }
    }
}
