package io.astaire.controller;

import io.astaire.model.ChainSpec;
import io.astaire.model.FunctionSpec;
import io.astaire.model.RuleSpec;
import java.util.Locale;

/** The kinds of item the registry stores, each under its own REST collection and table. */
public enum Kind {
    FUNCTION("function", "functions", FunctionSpec.class),
    CHAIN("chain", "chains", ChainSpec.class),
    RULE("rule", "rules", RuleSpec.class),
    /** One item, named {@code settings}: the ingress, the egress and the default chain. */
    SETTINGS("settings", "settings", Settings.class);

    /** The name of the single settings item. */
    public static final String SETTINGS_NAME = "settings";

    private final String singular;
    private final String plural;
    private final Class<?> type;

    Kind(String singular, String plural, Class<?> type) {
        this.singular = singular;
        this.plural = plural;
        this.type = type;
    }

    public String singular() {
        return singular;
    }

    /** The collection's name: the REST path segment, the table, the topology field. */
    public String plural() {
        return plural;
    }

    public Class<?> type() {
        return type;
    }

    /** The name an item of this kind carries in its own body. */
    public String nameOf(Object spec) {
        return switch (spec) {
            case FunctionSpec f -> f.name();
            case ChainSpec c -> c.name();
            case RuleSpec r -> r.name();
            case Settings s -> SETTINGS_NAME;
            default -> throw new IllegalArgumentException("not a registry item: " + spec);
        };
    }

    /** Accepts {@code chain}, {@code chains}, {@code Chain}: what people type on a command line. */
    public static Kind parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        for (Kind k : values()) {
            if (k.singular.equals(s) || k.plural.equals(s)) {
                return k;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not one of function, chain, rule, settings");
    }
}
