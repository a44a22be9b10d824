package io.astaire.controller;

import io.astaire.dataplane.function.FunctionRegistry;
import io.astaire.function.FunctionConfigException;
import io.astaire.function.ServiceFunction;
import io.astaire.model.FunctionSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;

/**
 * Checks a function's {@code config:} where it is written, with the code the node runs: the kind's
 * own provider configures a throw-away instance (never started, so it opens no file and no
 * socket), and what that refuses the controller refuses with 422 naming the field. A kind the
 * controller's class path does not provide (a user's jar, deployed only to its nodes) is accepted
 * and reported as unvalidated. The only class of the controller that touches the function API.
 */
public final class FunctionConfigValidator {
    private final FunctionRegistry functions;

    private FunctionConfigValidator(FunctionRegistry functions) {
        this.functions = functions;
    }

    /** The kinds visible to the controller's class loader: the built-ins and any jar on its class path. */
    public static FunctionConfigValidator load() {
        return new FunctionConfigValidator(FunctionRegistry.load());
    }

    /** The kinds whose configs are checked here. */
    public Set<String> kinds() {
        return functions.kinds();
    }

    /**
     * @param at where the function is in the request ({@code functions[0]}), for errors that are not the config's own
     * @throws ApiException 422 naming the config field the kind refuses
     */
    public void check(FunctionSpec spec, String at) {
        if (spec.kind() == null || !functions.kinds().contains(spec.kind())) {
            return; // unvalidated: the node that has the jar checks it at start-up
        }
        ServiceFunction f;
        try {
            f = functions.instantiate(spec, new SimpleMeterRegistry());
        } catch (FunctionConfigException e) {
            throw ApiException.invalid(e.field(), e.getMessage());
        } catch (RuntimeException e) {
            throw ApiException.invalid(at + ".config", "the " + spec.kind() + " function refuses this config: " + e.getMessage());
        }
        f.stop();
    }
}
