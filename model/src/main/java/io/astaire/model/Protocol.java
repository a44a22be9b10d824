package io.astaire.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import java.util.Locale;

/**
 * The inner packet's IP protocol a classifier rule matches: {@link #ANY} or one IANA number
 * (0–255), written as a number ({@code 47}) or as one of the names {@code tcp}, {@code udp},
 * {@code icmp}, {@code icmpv6}, {@code gre}, {@code esp}, {@code ah}, {@code sctp}. One instance
 * per number, so instances compare with {@code ==}; a named number prints as its name.
 */
public final class Protocol {
    private static final Protocol[] BY_NUMBER = new Protocol[256];

    public static final Protocol ANY = new Protocol(-1, "any");
    public static final Protocol ICMP = named(1, "icmp");
    public static final Protocol TCP = named(6, "tcp");
    public static final Protocol UDP = named(17, "udp");
    public static final Protocol GRE = named(47, "gre");
    public static final Protocol ESP = named(50, "esp");
    public static final Protocol AH = named(51, "ah");
    public static final Protocol ICMPV6 = named(58, "icmpv6");
    public static final Protocol SCTP = named(132, "sctp");

    private static final List<Protocol> NAMED = List.of(ANY, ICMP, TCP, UDP, GRE, ESP, AH, ICMPV6, SCTP);

    static {
        for (int n = 0; n < BY_NUMBER.length; n++) {
            if (BY_NUMBER[n] == null) {
                BY_NUMBER[n] = new Protocol(n, Integer.toString(n));
            }
        }
    }

    private final int number;
    private final String label;

    private Protocol(int number, String label) {
        this.number = number;
        this.label = label;
    }

    private static Protocol named(int number, String label) {
        Protocol p = new Protocol(number, label);
        BY_NUMBER[number] = p;
        return p;
    }

    /** The protocol of IANA number {@code number} (0–255). */
    public static Protocol of(int number) {
        if (number < 0 || number > 255) {
            throw new IllegalArgumentException(number + " is not an IP protocol number (0-255)");
        }
        return BY_NUMBER[number];
    }

    /** {@link #ANY} and the protocols that have a name, for tools and tests. */
    public static List<Protocol> named() {
        return NAMED;
    }

    /** The IP protocol number, or -1 for {@link #ANY}. */
    public int number() {
        return number;
    }

    public boolean matches(int ipProtocol) {
        return this == ANY || number == ipProtocol;
    }

    public boolean hasPorts() {
        return this == TCP || this == UDP;
    }

    /** Parses a name (any case) or a number 0–255; blank is {@link #ANY}. */
    @JsonCreator
    public static Protocol parse(String text) {
        if (text == null || text.isBlank()) {
            return ANY;
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (Protocol p : NAMED) {
            if (p.label.equals(t)) {
                return p;
            }
        }
        if (!t.isEmpty() && t.length() <= 3 && t.chars().allMatch(Character::isDigit)) {
            int n = Integer.parseInt(t);
            if (n <= 255) {
                return BY_NUMBER[n];
            }
        }
        throw new IllegalArgumentException("'" + text
                + "' is not a protocol: a number 0-255 or one of any, tcp, udp, icmp, icmpv6, gre, esp, ah, sctp");
    }

    /** A JSON or YAML number ({@code protocol: 47}) is accepted like its text. */
    @JsonCreator
    public static Protocol of(long number) {
        if (number < 0 || number > 255) {
            throw new IllegalArgumentException(number + " is not an IP protocol number (0-255)");
        }
        return BY_NUMBER[(int) number];
    }

    @JsonValue
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
