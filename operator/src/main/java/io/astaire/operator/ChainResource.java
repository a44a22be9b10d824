package io.astaire.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.astaire.k8s.Names;
import io.astaire.model.HopAddress;
import io.astaire.model.ModelException;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.Map;

/**
 * Reads a {@code ServiceChain}'s spec as the model's {@link Topology}: the spec is a topology
 * file whose hops give a {@code port} where the file gives an {@code address}, so each port
 * becomes an address on the hop's own name (the renderer then points it at the hop's Service).
 * Everything else is the model's own parsing and validation, so a ServiceChain is refused for
 * exactly what {@code astaire k8s render} refuses, with the field named from {@code spec}.
 */
public final class ChainResource {

    private ChainResource() {}

    /**
     * The chain the resource declares, validated.
     *
     * @throws ModelException naming the field from the resource's root, such as {@code spec.chains[0].functions[1]}
     */
    public static Topology topology(GenericKubernetesResource resource) {
        Object spec = resource.getAdditionalProperties().get("spec");
        if (!(spec instanceof Map<?, ?>)) {
            throw new ModelException("spec", "is required (functions, chains, rules, ingress, egress, defaultChain)");
        }
        JsonNode tree = TopologyCodec.jsonMapper().valueToTree(spec);
        try {
            return TopologyCodec.parse(TopologyCodec.toJson(withAddresses((ObjectNode) tree)));
        } catch (ModelException e) {
            throw new ModelException("spec." + e.field(), problem(e));
        }
    }

    private static ObjectNode withAddresses(ObjectNode spec) {
        ObjectNode out = spec.deepCopy();
        if (out.get("functions") instanceof ArrayNode functions) {
            for (int i = 0; i < functions.size(); i++) {
                if (functions.get(i) instanceof ObjectNode f) {
                    String name = f.path("name").isTextual() && !f.path("name").asText().isBlank() ? f.path("name").asText() : "function-" + i;
                    address(f, name, "functions[" + i + "]");
                }
            }
        }
        // The edges always run in the cluster; without a port they listen on VXLAN-GPE's.
        for (String edge : new String[] {"ingress", "egress"}) {
            JsonNode node = out.get(edge);
            if (node == null || node.isNull()) {
                node = out.putObject(edge);
            }
            if (node instanceof ObjectNode e) {
                address(e, edge.equals("ingress") ? Names.INGRESS : Names.EGRESS, edge);
            }
        }
        return out;
    }

    private static void address(ObjectNode hop, String host, String at) {
        if (hop.has("address")) {
            throw new ModelException(at + ".address", "a ServiceChain gives only the port: the host is the hop's Service in the cluster");
        }
        JsonNode port = hop.remove("port");
        if (port == null || port.isNull()) {
            hop.put("address", new HopAddress(host, HopAddress.VXLAN_GPE_PORT).toString());
        } else if (port.isIntegralNumber() && port.canConvertToInt()) {
            // An out-of-range port fails in the model's HopAddress, under this field's name.
            hop.put("address", host + ":" + port.asInt());
        } else {
            throw new ModelException(at + ".port", "must be a number 1-65535, was " + port);
        }
    }

    private static String problem(ModelException e) {
        String m = e.getMessage();
        String prefix = e.field() + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    /** {@code namespace/name}: the key a resource is queued and logged under. */
    public static String key(GenericKubernetesResource r) {
        return r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
    }
}
