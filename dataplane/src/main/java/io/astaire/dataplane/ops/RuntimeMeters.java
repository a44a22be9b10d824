package io.astaire.dataplane.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/**
 * What an operator of a Java process looks at first, on every role's {@code /metrics}:
 * Micrometer's JVM binders (GC pauses, heap and non-heap memory, threads, loaded classes) and
 * process binders (uptime, CPU, open file descriptors), and {@code astaire_build_info} (value 1,
 * the version and role as labels, for joining and for spotting a fleet running mixed versions).
 * None of it is on the packet path: every value is read at scrape time.
 */
public final class RuntimeMeters implements AutoCloseable {
    /** Listens to GC notifications: the only binder holding a resource. */
    private final JvmGcMetrics gc = new JvmGcMetrics();

    private RuntimeMeters(MeterRegistry registry, String role) {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        Gauge.builder("astaire.build.info", () -> 1)
                .strongReference(true)
                .description("The build this process runs (value 1): Astaire's version, the Java runtime and the role")
                .tags("version", BuildInfo.version(), "java_version", BuildInfo.javaVersion(), "role", role)
                .register(registry);
    }

    /** Binds the meters to {@code registry}; {@code role} is {@code sf}, {@code ingress}, {@code egress} or {@code controller}. */
    public static RuntimeMeters bind(MeterRegistry registry, String role) {
        return new RuntimeMeters(registry, role);
    }

    @Override
    public void close() {
        gc.close();
    }
}
