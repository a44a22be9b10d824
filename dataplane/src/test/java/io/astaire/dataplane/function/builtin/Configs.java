package io.astaire.dataplane.function.builtin;

import io.astaire.function.FunctionConfig;
import io.astaire.function.ServiceFunction;
import io.astaire.model.TopologyCodec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;

/** Configures functions from YAML exactly as a topology's {@code config:} block reads. */
final class Configs {
    private Configs() {}

    static PrometheusMeterRegistry registry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    static FunctionConfig config(String name, String kind, String yaml, MeterRegistry meters) {
        @SuppressWarnings("unchecked")
        Map<String, Object> raw = yaml.isBlank() ? Map.of() : TopologyCodec.parse(yaml, Map.class);
        return new FunctionConfig(name, kind, raw, meters);
    }

    static <F extends ServiceFunction> F configure(F function, String name, String yaml, MeterRegistry meters) {
        function.configure(config(name, name, yaml, meters));
        return function;
    }
}
