package io.astaire.systest.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image's Java runtime, built here the way deploy/Dockerfile builds it: the same
 * script (deploy/jlink-runtime.sh) with the same module list (deploy/jlink-modules.txt), using the
 * jlink of the JDK 25 that runs this test, then the packaged astaire.jar started on it.
 */
class JlinkImageTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path SCRIPT = REPO.resolve("deploy/jlink-runtime.sh");
    private static final Path MODULES_FILE = REPO.resolve("deploy/jlink-modules.txt");

    private static final Path LAUNCHER = REPO.resolve("deploy/astaire.sh");
    private static final Path DOCKERFILE = REPO.resolve("deploy/Dockerfile");

    private static Path jar;
    private static Path javaHome;
    private static Path image;

    @BeforeAll
    static void locateJarAndJdk() {
        String jarProperty = System.getProperty("astaire.jar");
        assumeTrue(jarProperty != null, "system property astaire.jar is not set (run through Maven)");
        jar = Path.of(jarProperty).toAbsolutePath().normalize();
        assertThat(jar).as("the packaged CLI (mvn package)").isRegularFile();
        javaHome = Path.of(System.getProperty("java.home"));
        assumeTrue(Files.isExecutable(javaHome.resolve("bin/jlink")), "java.home " + javaHome + " is a JRE without jlink");
    }

    private record Result(int exit, String out) {}

    private static Result run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("finished: " + command).isTrue();
        return new Result(p.exitValue(), out);
    }

    static Set<String> listedModules() throws IOException {
        Set<String> modules = new TreeSet<>();
        for (String line : Files.readAllLines(MODULES_FILE)) {
            String m = line.strip();
            if (!m.isEmpty() && !m.startsWith("#")) {
                modules.add(m);
            }
        }
        return modules;
    }

    @Test
    void theModuleListCoversEverythingJdepsFindsInTheJar() throws IOException {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = jdeps.run(new PrintWriter(out), new PrintWriter(err),
                "--ignore-missing-deps", "--print-module-deps", "--multi-release", "25", jar.toString());
        assertThat(exit).as(err.toString()).isZero();
        List<String> needed = Arrays.stream(out.toString().strip().split(",")).map(String::strip).toList();
        assertThat(needed).contains("java.base");
        assertThat(listedModules())
                .as("deploy/jlink-modules.txt must list every module jdeps finds (add the missing ones)")
                .containsAll(needed);
    }

    /** The runtime, built once for the tests that need it, as the Dockerfile builds it. */
    private static synchronized Path image() throws IOException, InterruptedException {
        if (image == null) {
            Path built = Path.of("target/jlink-image").toAbsolutePath();
            Result build = run(List.of("sh", SCRIPT.toString(), jar.toString(), built.toString()), Map.of("JAVA_HOME", javaHome.toString()));
            assertThat(build.exit()).as(build.out()).isZero();
            image = built;
        }
        return image;
    }

    @Test
    void theJlinkedRuntimeRunsTheCli(@TempDir Path scratch) throws Exception {
        Path image = image();

        Result modules = run(List.of(image.resolve("bin/java").toString(), "--list-modules"), Map.of());
        assertThat(modules.exit()).isZero();
        List<String> present = modules.out().lines().map(l -> l.replaceAll("@.*", "")).toList();
        assertThat(present).containsAll(listedModules());
        // Trimmed: no compiler, no jlink, no tools the nodes do not need.
        assertThat(present).doesNotContain("java.compiler", "jdk.compiler", "jdk.jlink", "jdk.jshell");

        Result help = run(List.of(image.resolve("bin/java").toString(), "-jar", jar.toString(), "--help"), Map.of());
        assertThat(help.exit()).as(help.out()).isZero();
        assertThat(help.out()).contains("Usage: astaire").contains("sf").contains("ingress").contains("k8s");

        // The renderer runs on the trimmed runtime too (fabric8 + Jackson need nothing outside the list).
        Path chain = scratch.resolve("chain.yaml");
        Files.copy(REPO.resolve("examples/chain.yaml"), chain);
        Result render = run(List.of(image.resolve("bin/java").toString(), "-jar", jar.toString(), "k8s", "render", "-f", chain.toString()), Map.of());
        assertThat(render.exit()).as(render.out()).isZero();
        assertThat(render.out()).contains("kind: \"Deployment\"").contains("kind: \"NetworkPolicy\"");
    }

    @Test
    void aModuleListMissingAModuleStopsTheBuild(@TempDir Path scratch) throws Exception {
        Path tooShort = scratch.resolve("modules.txt");
        Files.writeString(tooShort, "# only the base\njava.base\n");
        List<String> command = new ArrayList<>(List.of("sh", SCRIPT.toString(), jar.toString(), scratch.resolve("image").toString()));
        Result r = run(command, Map.of("JAVA_HOME", javaHome.toString(), "MODULES_FILE", tooShort.toString()));
        assertThat(r.exit()).isNotZero();
        assertThat(r.out()).contains("lacks modules").contains("java.sql");
        assertThat(scratch.resolve("image")).doesNotExist();
    }

    @Test
    void theImageTrainsItsAotCacheAndStartsTheCliFromIt(@TempDir Path scratch) throws Exception {
        Path cache = scratch.resolve("astaire.aot");
        Map<String, String> paths = Map.of("ASTAIRE_JAVA", image().resolve("bin/java").toString(), "ASTAIRE_JAR", jar.toString(),
                "ASTAIRE_AOT_CACHE", cache.toString(), "JAVA_OPTS", imageJavaOptions());
        Map<String, String> create = new HashMap<>(paths);
        create.put("ASTAIRE_AOT", "create");
        Result training = run(List.of("sh", LAUNCHER.toString(), "train", "--seconds", "3"), create);
        assertThat(training.exit()).as(training.out()).isZero();
        assertThat(training.out()).contains("astaire train: done").contains("AOTCache creation is complete")
                .as("the training's harmless notes are not in the build log").doesNotContain("[warning][aot]");
        assertThat(cache).isNotEmptyFile();

        Path loads = scratch.resolve("class-load.log");
        Map<String, String> start = new HashMap<>(paths);
        start.put("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + loads);
        Result node = run(List.of("sh", LAUNCHER.toString(), "train", "--seconds", "1", "--packets", "2000"), start);
        assertThat(node.exit()).as(node.out()).isZero();
        assertThat(Files.readString(loads)).contains("io.astaire.dataplane.node.Worker source: shared objects file");

        Result version = run(List.of("sh", LAUNCHER.toString(), "--version"), paths);
        assertThat(version.exit()).isZero();
        assertThat(version.out()).startsWith("astaire ").doesNotContain("[aot]").doesNotContain("[error]");
    }

    @Test
    void theDockerfileTrainsTheCacheOnceTheRuntimeTheJarAndTheOptionsAreInPlace() throws IOException {
        List<String> lines = Files.readString(DOCKERFILE).replaceAll("\\\\\\n", " ").lines().map(String::strip).toList();
        int training = indexOf(lines, "RUN ASTAIRE_AOT=create /opt/astaire/bin/astaire train");
        assertThat(training).as("the training run in deploy/Dockerfile").isNotNegative();
        assertThat(indexOf(lines, "COPY --from=jlink /opt/astaire/runtime")).isBetween(0, training);
        assertThat(indexOf(lines, "COPY --from=build /src/cli/target/astaire.jar")).isBetween(0, training);
        assertThat(indexOf(lines, "COPY --chmod=0755 deploy/astaire.sh")).isBetween(0, training);
        assertThat(indexOf(lines, "ENV PATH=/opt/astaire/bin:$PATH")).as("JAVA_OPTS set before").isBetween(0, training);
        assertThat(indexOf(lines, "USER ")).as("trained as root, read by the node's user").isGreaterThan(training);
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    /** The JAVA_OPTS the Dockerfile sets: the training must run with the options the pods use. */
    private static String imageJavaOptions() throws IOException {
        Matcher m = Pattern.compile("JAVA_OPTS=\"([^\"]*)\"").matcher(Files.readString(DOCKERFILE));
        assertThat(m.find()).as("JAVA_OPTS in deploy/Dockerfile").isTrue();
        return m.group(1);
    }
}
