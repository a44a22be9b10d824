package io.astaire.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Comparator;

/**
 * A classifier rule: packets whose fields all match go to {@code chain}. Absent fields match
 * anything. Rules are tried by descending {@code priority}, then by name; the first match wins.
 * Ports only apply to TCP and UDP.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RuleSpec(
        String name,
        Integer priority,
        Protocol protocol,
        IpPrefix source,
        IpPrefix destination,
        PortRange sourcePorts,
        PortRange destinationPorts,
        String chain) {

    /** The order the classifier tries rules in: descending priority, then name. */
    public static final Comparator<RuleSpec> TRY_ORDER =
            Comparator.comparing(RuleSpec::priority, Comparator.reverseOrder()).thenComparing(RuleSpec::name);

    public RuleSpec {
        priority = priority == null ? 0 : priority;
        protocol = protocol == null ? Protocol.ANY : protocol;
    }

    /**
     * The rule that classifies replies of this rule's flows: sources and destinations swapped.
     * Used at the egress of a symmetric chain.
     */
    public RuleSpec reversed() {
        return new RuleSpec(name, priority, protocol, destination, source, destinationPorts, sourcePorts, chain);
    }
}
