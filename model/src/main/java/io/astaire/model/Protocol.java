package io.astaire.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The inner packet's transport protocol a classifier rule matches, by IANA number. */
public enum Protocol {
    ANY(-1),
    ICMP(1),
    TCP(6),
    UDP(17),
    ICMPV6(58);

    private final int number;

    Protocol(int number) {
        this.number = number;
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

    @JsonCreator
    public static Protocol parse(String text) {
        if (text == null || text.isBlank()) {
            return ANY;
        }
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not one of any, tcp, udp, icmp, icmpv6");
        }
    }

    @JsonValue
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
