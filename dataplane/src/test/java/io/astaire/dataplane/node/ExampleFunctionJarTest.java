package io.astaire.dataplane.node;

import static io.astaire.dataplane.node.TestPackets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.dataplane.function.FunctionRegistry;
import io.astaire.dataplane.function.Scrape;
import io.astaire.dataplane.function.TestPacket;
import io.astaire.function.FunctionConfig;
import io.astaire.function.FunctionConfigException;
import io.astaire.function.ServiceFunction;
import io.astaire.function.Verdict;
import io.astaire.model.HopAddress;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds examples/function-example the way its README says, with Maven running on the machine's
 * default JDK 17 (the example's toolchains setup must find a JDK 25 to compile with), then loads
 * the JAR the way a node does: {@link FunctionRegistry#load(ClassLoader)} over a class loader of
 * the JAR, and a real node in fixed mode that drops and forwards real datagrams with it.
 *
 * <p>The example depends on {@code astaire-function-api} alone. Its build resolves it from a
 * local repository of this test's own (chained to the user's one for plugins), into which a copy
 * of this checkout's parent, wire and function-api modules is installed first: the test never
 * writes into the user's repository or into the modules' own target directories.
 */
class ExampleFunctionJarTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path EXAMPLE = ROOT.resolve("examples/function-example");
    /** The README's build command, run from the example's directory. */
    private static final List<String> README_BUILD = List.of("../../mvnw", "package");
    private static final Path JAR = EXAMPLE.resolve("target/ttl-guard-1.0.jar");

    @TempDir
    static Path work;

    @BeforeAll
    static void buildTheExampleWithMavenOnJdk17() throws Exception {
        Path jdk17 = jdk17();
        assumeTrue(jdk17 != null, "no JDK 17 under /usr/lib/jvm: cannot show the example builds on a default JDK 17");
        assertThat(Files.readString(EXAMPLE.resolve("README.md"))).as("the README gives the command this test runs")
                .contains(String.join(" ", README_BUILD));
        Path repo = Files.createDirectories(work.resolve("repo"));
        Path api = copyOfTheApiModules(work.resolve("api"));
        String mavenArgs = "-B -o -Dmaven.repo.local=" + repo + " -Dmaven.repo.local.tail="
                + Path.of(System.getProperty("user.home"), ".m2", "repository");
        run(api, List.of("./mvnw", "-q", "install", "-DskipTests"), jdk17, mavenArgs);
        deleteTree(EXAMPLE.resolve("target")); // stale classes would hide a compile that fails on JDK 17
        String output = run(EXAMPLE, README_BUILD, jdk17, mavenArgs);
        assertThat(output).contains("BUILD SUCCESS").contains("Toolchain in maven-compiler-plugin");
        assertThat(JAR).as("the README build makes the JAR").isRegularFile();
    }

    @Test
    void theExampleJarLoadsAndFilters() throws Exception {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (URLClassLoader loader = loader()) {
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

    @Test
    void aNodeRunsTheExampleJarOnRealDatagrams() throws Exception {
        try (URLClassLoader loader = loader();
             Sink sink = new Sink("next", new InetSocketAddress("127.0.0.1", 0));
             SfNode node = SfNode.builder()
                     .fixed(List.of("ttl-guard"), HopAddress.parse("127.0.0.1:" + sink.address().getPort()))
                     .kindConfig("ttl-guard", Map.of("minTtl", 10))
                     .listen(new InetSocketAddress("127.0.0.1", 0)).workers(1)
                     .functionRegistry(FunctionRegistry.load(loader))
                     .start();
             DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            for (int seed = 1; seed <= 20; seed++) {
                byte[] inner = TestPackets.udp4(ip("10.0.0.1"), ip("10.0.0.2"), 1000 + seed, 80, 16, seed);
                inner[8] = (byte) (seed % 2 == 0 ? 9 : 64); // even seeds: inner TTL 9 < minTtl
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(inner);
                b.putShort(10, (short) 0);
                b.putShort(10, (short) io.astaire.wire.Checksums.ipv4Header(b, 0, 20));
                byte[] datagram = TestPackets.nsh(10, 255, 63, inner);
                client.send(new DatagramPacket(datagram, datagram.length, node.localAddress()));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() >= 10
                    && node.scrape().contains("ttlguard_dropped_total{function=\"ttl-guard\"} 10.0"));
            Thread.sleep(200); // nothing more may arrive
            assertThat(sink.received).hasSize(10).allSatisfy(r -> assertThat(r.innerSeed() % 2).isEqualTo(1));
        }
    }

    private static URLClassLoader loader() throws IOException {
        return new URLClassLoader(new URL[] {JAR.toUri().toURL()}, ExampleFunctionJarTest.class.getClassLoader());
    }

    private static Path jdk17() throws IOException {
        try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            return jdks.filter(p -> p.getFileName().toString().startsWith("java-17"))
                    .filter(p -> Files.isExecutable(p.resolve("bin/java"))).sorted().findFirst().orElse(null);
        }
    }

    /** The parent POM (listing only wire and function-api), those two modules and the wrapper, in {@code into}. */
    private static Path copyOfTheApiModules(Path into) throws IOException {
        Files.createDirectories(into);
        String parent = Files.readString(ROOT.resolve("pom.xml"))
                .replaceAll("(?s)<modules>.*?</modules>", "<modules><module>wire</module><module>function-api</module></modules>");
        Files.writeString(into.resolve("pom.xml"), parent);
        for (String part : List.of("mvnw", ".mvn", "wire/pom.xml", "wire/src/main", "function-api/pom.xml", "function-api/src/main")) {
            copy(ROOT.resolve(part), into.resolve(part));
        }
        return into;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /** Runs {@code command} in {@code dir} with JAVA_HOME and PATH on {@code jdk}; fails with its output unless it exits 0. */
    private static String run(Path dir, List<String> command, Path jdk, String mavenArgs) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", jdk.toString());
        pb.environment().put("PATH", jdk.resolve("bin") + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().put("MAVEN_ARGS", mavenArgs);
        pb.environment().remove("MAVEN_OPTS");
        Path log = Files.createTempFile(work, "build", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        boolean done = p.waitFor(300, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(done && p.exitValue() == 0).as(String.join(" ", command) + " in " + dir + " on " + jdk + ":\n" + output).isTrue();
        return output;
    }
}
