package io.astaire.systest.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./astaire} launcher and its AOT cache, run for real on a copy of the launcher with
 * the packaged jar (no sources beside it, so it never builds): the first command creates the
 * cache with one line on stderr and the next ones use it, output stays the command's own, a new
 * jar or class path gets its own cache, and every way the cache can fail still runs the command.
 */
class LauncherAotTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final String CREATING = "astaire: creating the AOT cache";

    @TempDir
    Path root;
    private Path target;

    record Result(int exit, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.startsWith("Picked up JAVA_TOOL_OPTIONS")).toList();
        }
    }

    @BeforeEach
    void copyTheLauncherBesideThePackagedJar() throws IOException {
        Path jar = AotCacheTest.packagedJar();
        Files.createDirectories(root.resolve("bin"));
        target = Files.createDirectories(root.resolve("cli/target"));
        Files.copy(REPO.resolve("astaire"), root.resolve("astaire"));
        Files.copy(REPO.resolve("bin/find-jdk"), root.resolve("bin/find-jdk"));
        Files.copy(REPO.resolve("bin/aot-cache"), root.resolve("bin/aot-cache"));
        Files.copy(jar, target.resolve("astaire.jar"));
    }

    private Result astaire(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = Stream.concat(Stream.of("bash", root.resolve("astaire").toString()), Stream.of(args)).toList();
        return run(command, env);
    }

    private static Result run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("ASTAIRE_CLASSPATH");
        pb.environment().remove("ASTAIRE_JAVA_OPTS");
        pb.environment().remove("ASTAIRE_AOT");
        pb.environment().remove("XDG_CACHE_HOME");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env);
        Path err = Files.createTempFile("launcher", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("finished: " + command).isTrue();
        String errText = Files.readString(err);
        Files.delete(err);
        return new Result(p.exitValue(), out, errText);
    }

    private List<Path> caches() throws IOException {
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".aot")).sorted().toList();
        }
    }

    private Result plainVersion() throws IOException, InterruptedException {
        Result plain = astaire(Map.of("ASTAIRE_AOT", "off"), "--version");
        assertThat(plain.exit()).isZero();
        return plain;
    }

    @Test
    void theFirstCommandCreatesTheCacheWithOneLineAndTheNextOnesUseIt() throws Exception {
        Result plain = plainVersion();
        assertThat(caches()).as("ASTAIRE_AOT=off creates nothing").isEmpty();

        // An option from the environment that would make the cache unusable without it: it must stay out of the training.
        Result first = astaire(Map.of("JAVA_TOOL_OPTIONS", "-XX:+UseCompactObjectHeaders"), "--version");
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out()).isEqualTo(plain.out());
        assertThat(first.errLines()).hasSize(1);
        assertThat(first.errLines().getFirst()).startsWith(CREATING);
        assertThat(caches()).hasSize(1);

        Path loads = root.resolve("class-load.log");
        Result second = astaire(Map.of("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + loads), "--version");
        assertThat(second.exit()).as(second.err()).isZero();
        assertThat(second.out()).as("the JVM's notes stay out of the command's output").isEqualTo(plain.out());
        assertThat(second.errLines()).isEmpty();
        assertThat(Files.readString(loads)).contains("io.astaire.cli.AstaireCommand source: shared objects file");

        // A rebuilt jar: the JVM would run the old classes from the old cache, so the launcher makes a new one.
        Path jar = target.resolve("astaire.jar");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now()));
        Result rebuilt = astaire(Map.of(), "--version");
        assertThat(rebuilt.exit()).isZero();
        assertThat(rebuilt.errLines()).hasSize(1);
        assertThat(rebuilt.errLines().getFirst()).startsWith(CREATING);
        assertThat(caches()).as("the stale cache is removed").hasSize(1);
    }

    @Test
    void aDifferentClassPathGetsItsOwnCache() throws Exception {
        Result first = astaire(Map.of(), "--version");
        assertThat(first.errLines()).singleElement().asString().startsWith(CREATING);
        Path functions = Files.createDirectories(root.resolve("my-functions"));
        Result withFunctions = astaire(Map.of("ASTAIRE_CLASSPATH", functions.toString()), "--version");
        assertThat(withFunctions.exit()).as(withFunctions.err()).isZero();
        assertThat(withFunctions.errLines()).singleElement().asString().startsWith(CREATING);
        assertThat(caches()).hasSize(2);
        Result again = astaire(Map.of("ASTAIRE_CLASSPATH", functions.toString()), "--version");
        assertThat(again.errLines()).isEmpty();
    }

    @Test
    void aFailedTrainingIsReportedOnceAndTheCommandStillRuns() throws Exception {
        Result plain = plainVersion();
        // With AOTMode=off the JVM writes no cache: the training "succeeds" without one.
        Map<String, String> env = Map.of("ASTAIRE_JAVA_OPTS", "-XX:AOTMode=off");
        Result failed = astaire(env, "--version");
        assertThat(failed.exit()).as(failed.err()).isZero();
        assertThat(failed.out()).isEqualTo(plain.out());
        assertThat(failed.errLines()).hasSize(2);
        assertThat(failed.errLines().get(1)).contains("could not create the AOT cache").contains("running without it");
        Result next = astaire(env, "--version");
        assertThat(next.exit()).isZero();
        assertThat(next.errLines()).as("said once, not on every command").isEmpty();
        assertThat(next.out()).isEqualTo(plain.out());
    }

    @Test
    void withoutAWritableFolderTheCommandRunsWithoutTheCache() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")) && "root".equals(System.getProperty("user.name")),
                "needs root and setpriv to run the launcher as another user");
        Result plain = plainVersion();
        // Readable, not writable, by the user 'nobody' (the temp folder itself is private to root).
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        Map<String, String> env = new HashMap<>(Map.of("HOME", "/nonexistent"));
        List<String> command = List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "bash", root.resolve("astaire").toString(), "--version");
        Result r = run(command, env);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(plain.out());
        assertThat(r.errLines()).singleElement().asString().contains("no writable folder for the AOT cache");
        assertThat(caches()).isEmpty();
    }
}
