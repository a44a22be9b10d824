package io.astaire.dataplane.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds examples/function-example the way its user would (compile against the API, package a
 * JAR with META-INF/services) and loads it the way a node does: a class loader over the JAR and
 * {@link FunctionRegistry#load(ClassLoader)}. Keeps the documented example working.
 */
class ExampleFunctionJarTest {

    private static final Path EXAMPLE = Path.of("..", "examples", "function-example").toAbsolutePath().normalize();

    @TempDir
    Path work;

    @Test
    void theExampleJarLoadsAndFilters() throws Exception {
        Path jar = buildExampleJar();
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
            FunctionRegistry registry = FunctionRegistry.load(loader);
            assertThat(registry.kinds()).contains("ttl-guard", "acl", "passthrough");

            ServiceFunction guard = registry.instantiate(new FunctionConfig("guard", "ttl-guard", Map.of("minTtl", 5), meters));
            assertThat(guard.getClass().getClassLoader()).isSameAs(loader);
            guard.start();
            assertThat(guard.process(TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).ttl(4).build())).isEqualTo(Verdict.DROP);
            assertThat(guard.process(TestPacket.udp("10.0.0.1", 1, "10.0.0.2", 2).ttl(5).build())).isEqualTo(Verdict.FORWARD);
            assertThat(guard.process(TestPacket.tcp("2001:db8::1", 1, "2001:db8::2", 2).ttl(1).build())).isEqualTo(Verdict.DROP);
            guard.stop();
            assertThat(Scrape.value(meters, "ttlguard_dropped_total", Map.of("function", "guard"))).isEqualTo(2.0);

            assertThatThrownBy(() -> registry.instantiate(new FunctionConfig("guard", "ttl-guard", Map.of("minTtl", 0), meters)))
                    .isInstanceOf(FunctionConfigException.class)
                    .hasMessage("functions.guard.config.minTtl: 0 is outside 1-255");
            assertThatThrownBy(() -> registry.instantiate(new FunctionConfig("guard", "ttl-guard", Map.of("minTTL", 3), meters)))
                    .hasMessageStartingWith("functions.guard.config.minTTL: unknown field");
        }
    }

    private Path buildExampleJar() throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assumeTrue(javac != null, "no system Java compiler: the tests run on a JRE, not a JDK");
        Path sources = EXAMPLE.resolve("src/main/java");
        Path resources = EXAMPLE.resolve("src/main/resources");
        assertThat(sources).as("the example's sources").isDirectory();
        List<String> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toList();
        }
        Path classes = Files.createDirectories(work.resolve("classes"));
        StringWriter diagnostics = new StringWriter();
        List<String> options = List.of("--release", "25", "-Xlint:all", "-Werror",
                "-cp", System.getProperty("java.class.path"), "-d", classes.toString());
        boolean ok = javac.getTask(diagnostics, null, null, options, null,
                javac.getStandardFileManager(null, null, null).getJavaFileObjectsFromStrings(files)).call();
        assertThat(ok).as("the example compiles against the API:\n" + diagnostics).isTrue();

        Path jar = work.resolve("ttl-guard-1.0.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (Path root : List.of(classes, resources)) {
                try (Stream<Path> walk = Files.walk(root)) {
                    for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                        out.putNextEntry(new JarEntry(root.relativize(file).toString().replace('\\', '/')));
                        Files.copy(file, (OutputStream) out);
                        out.closeEntry();
                    }
                }
            }
        }
        return jar;
    }
}
