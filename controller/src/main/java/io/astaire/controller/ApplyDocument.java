package io.astaire.controller;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.astaire.model.ChainSpec;
import io.astaire.model.EndpointSpec;
import io.astaire.model.FunctionSpec;
import io.astaire.model.ModelException;
import io.astaire.model.RuleSpec;
import io.astaire.model.TopologyCodec;
import java.util.List;

/**
 * What {@code astaire apply -f} sends: a topology file that may be partial (a chain whose functions
 * are already stored), so it is not validated on its own; the registry validates the result of
 * merging it. The settings fields are only applied when the file names them.
 */
public record ApplyDocument(
        List<FunctionSpec> functions,
        List<ChainSpec> chains,
        List<RuleSpec> rules,
        EndpointSpec ingress,
        EndpointSpec egress,
        String defaultChain,
        boolean hasIngress,
        boolean hasEgress,
        boolean hasDefaultChain) {

    public ApplyDocument {
        functions = functions == null ? List.of() : functions;
        chains = chains == null ? List.of() : chains;
        rules = rules == null ? List.of() : rules;
    }

    /** The same fields as {@link io.astaire.model.Topology}, read without cross-checks. */
    private record Fields(
            List<FunctionSpec> functions,
            List<ChainSpec> chains,
            List<RuleSpec> rules,
            EndpointSpec ingress,
            EndpointSpec egress,
            String defaultChain) {}

    /**
     * Reads a YAML or JSON topology document.
     *
     * @throws ModelException naming the field that cannot be read
     */
    public static ApplyDocument parse(String yamlOrJson) {
        Fields f = TopologyCodec.parse(yamlOrJson, Fields.class);
        JsonNode tree;
        try {
            tree = TopologyCodec.yamlMapper().readTree(yamlOrJson);
        } catch (JsonProcessingException e) {
            throw new ModelException("(document)", "is not valid YAML/JSON: " + e.getOriginalMessage());
        }
        return new ApplyDocument(f.functions(), f.chains(), f.rules(), f.ingress(), f.egress(), f.defaultChain(),
                tree.has("ingress"), tree.has("egress"), tree.has("defaultChain"));
    }

    /** A whole topology as a document to apply (for in-process use: demos, tests, the lab). */
    public static ApplyDocument of(io.astaire.model.Topology t) {
        return new ApplyDocument(t.functions(), t.chains(), t.rules(), t.ingress(), t.egress(), t.defaultChain(), true, true, true);
    }

    /** Whether the document says anything about the settings. */
    public boolean hasSettings() {
        return hasIngress || hasEgress || hasDefaultChain;
    }
}
