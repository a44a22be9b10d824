package io.astaire.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Everything the data plane needs to know: functions, chains, classifier rules, the ingress and
 * egress, and what to do with traffic no rule matches. Construction validates the whole, so a
 * {@code Topology} in hand is always usable; the first problem found is thrown as a
 * {@link ModelException} naming the field.
 *
 * @param defaultChain the chain for packets that match no rule; {@code null} drops them
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Topology(
        List<FunctionSpec> functions,
        List<ChainSpec> chains,
        List<RuleSpec> rules,
        EndpointSpec ingress,
        EndpointSpec egress,
        String defaultChain) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    public Topology {
        functions = functions == null ? List.of() : List.copyOf(functions);
        chains = chains == null ? List.of() : List.copyOf(allocateSpis(chains));
        rules = rules == null ? List.of() : List.copyOf(rules);
        validate(functions, chains, rules, ingress, egress, defaultChain);
    }

    /**
     * Gives every chain without an SPI the lowest free one, in declaration order. A file that is
     * not edited thus gets the same SPIs on every start; the controller stores its allocation.
     */
    private static List<ChainSpec> allocateSpis(List<ChainSpec> chains) {
        Set<Integer> used = new HashSet<>();
        for (ChainSpec c : chains) {
            if (c != null && c.spi() != null) {
                used.add(c.spi());
            }
        }
        List<ChainSpec> out = new ArrayList<>(chains.size());
        int next = 1;
        for (ChainSpec c : chains) {
            if (c != null && c.spi() == null) {
                while (used.contains(next)) {
                    next++;
                }
                used.add(next);
                c = c.withSpi(next);
            }
            out.add(c);
        }
        return out;
    }

    private static void validate(List<FunctionSpec> functions, List<ChainSpec> chains, List<RuleSpec> rules,
                                 EndpointSpec ingress, EndpointSpec egress, String defaultChain) {
        Map<String, FunctionSpec> byName = new HashMap<>();
        for (int i = 0; i < functions.size(); i++) {
            FunctionSpec f = functions.get(i);
            String at = "functions[" + i + "]";
            require(f != null, at, "is empty");
            requireName(f.name(), at + ".name");
            require(f.kind() != null && !f.kind().isBlank(), at + ".kind", "is required (a built-in such as acl, counter, passthrough, or a user function's name)");
            require(f.address() != null, at + ".address", "is required (host:port where the function listens)");
            require(f.replicas() >= 1, at + ".replicas", "must be at least 1, was " + f.replicas());
            require(byName.put(f.name(), f) == null, at + ".name", "'" + f.name() + "' is declared twice");
        }
        Set<String> chainNames = new HashSet<>();
        Set<Integer> spis = new HashSet<>();
        for (int i = 0; i < chains.size(); i++) {
            ChainSpec c = chains.get(i);
            String at = "chains[" + i + "]";
            require(c != null, at, "is empty");
            requireName(c.name(), at + ".name");
            require(chainNames.add(c.name()), at + ".name", "'" + c.name() + "' is declared twice");
            require(c.spi() >= 1 && c.spi() <= ChainSpec.MAX_FORWARD_SPI, at + ".spi",
                    "must be within 1-" + ChainSpec.MAX_FORWARD_SPI + " (the top bit marks reverse paths), was " + c.spi());
            require(spis.add(c.spi()), at + ".spi", c.spi() + " is used by another chain");
            require(!c.functions().isEmpty(), at + ".functions", "lists no function");
            require(c.functions().size() <= 254, at + ".functions", "has " + c.functions().size() + " functions; NSH's service index allows 254");
            for (int j = 0; j < c.functions().size(); j++) {
                String fn = c.functions().get(j);
                require(byName.containsKey(fn), at + ".functions[" + j + "]", "'" + fn + "' is not a declared function");
            }
        }
        for (int i = 0; i < rules.size(); i++) {
            RuleSpec r = rules.get(i);
            String at = "rules[" + i + "]";
            require(r != null, at, "is empty");
            requireName(r.name(), at + ".name");
            require(r.chain() != null, at + ".chain", "is required");
            require(chainNames.contains(r.chain()), at + ".chain", "'" + r.chain() + "' is not a declared chain");
            if (r.source() != null && r.destination() != null) {
                require(r.source().isIpv6() == r.destination().isIpv6(), at + ".destination", "mixes IPv4 and IPv6 with source");
            }
            boolean ports = r.sourcePorts() != null || r.destinationPorts() != null;
            require(!ports || r.protocol().hasPorts(), at + ".protocol", "must be tcp or udp when ports are given, was " + r.protocol().label());
        }
        Set<String> ruleNames = new TreeSet<>();
        for (int i = 0; i < rules.size(); i++) {
            require(ruleNames.add(rules.get(i).name()), "rules[" + i + "].name", "'" + rules.get(i).name() + "' is declared twice");
        }
        if (defaultChain != null) {
            require(chainNames.contains(defaultChain), "defaultChain", "'" + defaultChain + "' is not a declared chain");
        }
        if (!chains.isEmpty()) {
            require(egress != null && egress.address() != null, "egress.address", "is required: every path ends at the egress");
            boolean anySymmetric = chains.stream().anyMatch(ChainSpec::isSymmetric);
            require(!anySymmetric || (ingress != null && ingress.address() != null), "ingress.address",
                    "is required when a chain is symmetric: reverse paths end at the ingress");
        }
    }

    private static void requireName(String name, String field) {
        require(name != null && NAME.matcher(name).matches(), field,
                (name == null ? "is required" : "'" + name + "' is not a valid name")
                        + " (lower-case letters, digits and '-', at most 63, like a Kubernetes name)");
    }

    private static void require(boolean ok, String field, String problem) {
        if (!ok) {
            throw new ModelException(field, problem);
        }
    }

    public FunctionSpec function(String name) {
        for (FunctionSpec f : functions) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }

    public ChainSpec chain(String name) {
        for (ChainSpec c : chains) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** Every service path: each chain's forward path, and its reverse path when it is symmetric. */
    @JsonIgnore
    public List<ServicePath> paths() {
        List<ServicePath> paths = new ArrayList<>();
        for (ChainSpec c : chains) {
            paths.add(path(c, false));
            if (c.isSymmetric()) {
                paths.add(path(c, true));
            }
        }
        return paths;
    }

    private ServicePath path(ChainSpec chain, boolean reverse) {
        List<ServicePath.Hop> hops = new ArrayList<>();
        List<String> names = new ArrayList<>(chain.functions());
        if (reverse) {
            java.util.Collections.reverse(names);
        }
        for (String n : names) {
            hops.add(new ServicePath.Hop(n, function(n).address(), false));
        }
        hops.add(reverse
                ? new ServicePath.Hop("ingress", ingress.address(), true)
                : new ServicePath.Hop("egress", egress.address(), true));
        return new ServicePath(reverse ? ChainSpec.reverseSpi(chain.spi()) : chain.spi(), chain.name(), reverse, hops);
    }

    /** Rules in the order the classifier tries them: descending priority, then name. */
    @JsonIgnore
    public List<RuleSpec> orderedRules() {
        List<RuleSpec> ordered = new ArrayList<>(rules);
        ordered.sort(RuleSpec.TRY_ORDER);
        return ordered;
    }
}
