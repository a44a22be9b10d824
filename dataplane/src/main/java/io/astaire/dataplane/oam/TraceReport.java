package io.astaire.dataplane.oam;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.astaire.model.TopologyCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The datagram a node sends to a trace's collector for each probe it handles: the trace id (16 hex
 * digits) and the {@link TraceHop}, as JSON. Small (a few hundred bytes) and sent only for probes,
 * which are rate limited, so readability wins over a binary layout.
 */
public record TraceReport(String trace, TraceHop hop) {

    /** Reports larger than this are not sent or read. */
    public static final int MAX_BYTES = 2048;

    private static final ObjectMapper JSON = TopologyCodec.jsonMapper();

    public byte[] toBytes() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("a trace report did not serialise", e);
        }
    }

    /** The report in {@code bytes}, or null for anything that is not one (a stray datagram). */
    public static TraceReport parse(byte[] bytes, int length) {
        if (length <= 0 || length > MAX_BYTES) {
            return null;
        }
        try {
            TraceReport r = JSON.readValue(new String(bytes, 0, length, StandardCharsets.UTF_8), TraceReport.class);
            return r == null || r.trace() == null || r.hop() == null || r.hop().verdict() == null ? null : r;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    public static String id(long traceId) {
        return String.format("%016x", traceId);
    }
}
