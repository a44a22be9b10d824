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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
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

    private static Path jar;
    private static Path javaHome;

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

    @Test
    void theJlinkedRuntimeRunsTheCli(@TempDir Path scratch) throws Exception {
        Path image = Path.of("target/jlink-image").toAbsolutePath();
        Result build = run(List.of("sh", SCRIPT.toString(), jar.toString(), image.toString()), Map.of("JAVA_HOME", javaHome.toString()));
        assertThat(build.exit()).as(build.out()).isZero();

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
        assertThat(render.out()).contains("kind: \"Deployment\"").contains("kind: \"DaemonSet\"");
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
}
