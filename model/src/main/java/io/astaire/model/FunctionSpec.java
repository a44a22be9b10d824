package io.astaire.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * A service function as deployed: its name in chains, its kind (a built-in function name such as
 * {@code acl}, or the name a user's function registers under), its configuration, and where it
 * listens. Several functions may share an address: one node process then runs them in chain order.
 *
 * @param replicas how many copies Kubernetes runs behind the function's Service (1 by default)
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record FunctionSpec(String name, String kind, Map<String, Object> config, HopAddress address, Integer replicas) {

    public FunctionSpec {
        config = config == null ? Map.of() : Map.copyOf(config);
        replicas = replicas == null ? 1 : replicas;
    }

    public FunctionSpec(String name, String kind, HopAddress address) {
        this(name, kind, Map.of(), address, 1);
    }
}
