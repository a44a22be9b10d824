package io.astaire.dataplane.function;

import io.astaire.function.FunctionConfig;
import io.astaire.function.FunctionConfigException;
import io.astaire.function.ServiceFunction;
import io.astaire.function.ServiceFunctionProvider;
import io.astaire.model.FunctionSpec;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collections;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * The kinds of function a node can run: every {@link ServiceFunctionProvider} visible to a class
 * loader (the built-ins and the users' JARs on the class path). Two providers of the same kind are
 * an error, so a user's function never silently shadows another.
 */
public final class FunctionRegistry {

    private final Map<String, ServiceFunctionProvider> providers;

    private FunctionRegistry(Map<String, ServiceFunctionProvider> providers) {
        this.providers = Collections.unmodifiableMap(providers);
    }

    /** Finds the providers visible to {@code loader} with {@link ServiceLoader}. */
    public static FunctionRegistry load(ClassLoader loader) {
        Map<String, ServiceFunctionProvider> found = new TreeMap<>();
        try {
            for (ServiceFunctionProvider provider : ServiceLoader.load(ServiceFunctionProvider.class, loader)) {
                String kind = provider.kind();
                if (kind == null || kind.isBlank()) {
                    throw new IllegalStateException("function provider " + provider.getClass().getName() + " has no kind");
                }
                ServiceFunctionProvider previous = found.putIfAbsent(kind, provider);
                if (previous != null && previous.getClass() != provider.getClass()) {
                    throw new IllegalStateException("function kind '" + kind + "' is provided twice: by "
                            + previous.getClass().getName() + " and by " + provider.getClass().getName());
                }
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("cannot load function providers: " + e.getMessage(), e);
        }
        return new FunctionRegistry(found);
    }

    /** The providers visible to the class loader of this class (the built-ins and the class path). */
    public static FunctionRegistry load() {
        return load(FunctionRegistry.class.getClassLoader());
    }

    /** The kinds known, sorted. */
    public Set<String> kinds() {
        return providers.keySet();
    }

    /**
     * A new, unconfigured function of {@code kind}.
     *
     * @throws IllegalArgumentException for an unknown kind, listing the known ones
     */
    public ServiceFunction create(String kind) {
        ServiceFunctionProvider provider = providers.get(kind);
        if (provider == null) {
            throw new IllegalArgumentException(unknown(kind));
        }
        return provider.create();
    }

    /**
     * A new function of {@code config.kind()}, configured with {@code config}: what a node does for
     * each function of its topology. Not started.
     *
     * @throws FunctionConfigException for an unknown kind ({@code functions.<name>.kind}) or bad config
     */
    public ServiceFunction instantiate(FunctionConfig config) {
        ServiceFunctionProvider provider = providers.get(config.kind());
        if (provider == null) {
            throw new FunctionConfigException("functions." + config.name() + ".kind", unknown(config.kind()));
        }
        ServiceFunction function = provider.create();
        function.configure(config);
        return function;
    }

    /** A new function of the topology, configured: {@link #instantiate(FunctionConfig)} with {@link #configOf}. */
    public ServiceFunction instantiate(FunctionSpec spec, MeterRegistry meters) {
        return instantiate(configOf(spec, meters));
    }

    /** What a function of the topology gets at configure time (the API module knows no topology model). */
    public static FunctionConfig configOf(FunctionSpec spec, MeterRegistry meters) {
        return new FunctionConfig(spec.name(), spec.kind(), spec.config(), meters);
    }

    private String unknown(String kind) {
        return "unknown function kind '" + kind + "'; known kinds: " + String.join(", ", providers.keySet());
    }

    @Override
    public String toString() {
        return "FunctionRegistry" + providers.keySet();
    }
}
