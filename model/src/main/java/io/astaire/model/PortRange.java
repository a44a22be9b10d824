package io.astaire.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** An inclusive port range, written {@code 80} or {@code 1024-65535}. */
public record PortRange(int from, int to) {
    public static final PortRange ANY = new PortRange(0, 65535);

    public PortRange {
        if (from < 0 || to > 65535 || from > to) {
            throw new IllegalArgumentException("port range " + from + "-" + to + " is not within 0-65535 with from <= to");
        }
    }

    /** A single port, as YAML writes {@code destinationPorts: 80}. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static PortRange of(int port) {
        return new PortRange(port, port);
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static PortRange parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("port range is empty");
        }
        String s = text.trim();
        int dash = s.indexOf('-');
        try {
            if (dash < 0) {
                int port = Integer.parseInt(s);
                return new PortRange(port, port);
            }
            return new PortRange(Integer.parseInt(s.substring(0, dash).trim()), Integer.parseInt(s.substring(dash + 1).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a port or a range like 1024-65535");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + s + "': " + e.getMessage());
        }
    }

    public boolean contains(int port) {
        return port >= from && port <= to;
    }

    @JsonValue
    @Override
    public String toString() {
        return from == to ? Integer.toString(from) : from + "-" + to;
    }
}
