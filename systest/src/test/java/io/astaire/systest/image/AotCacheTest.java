package io.astaire.systest.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDK AOT cache made by {@code astaire train} (JEP 483/514/515) is used by the next JVM:
 * the packet path's classes come out of the cache ("shared objects file") and their recorded
 * method profiles are replayed. Checked through the JVM's own logs, so the test fails if the
 * training stops covering the packet path or the cache silently stops being usable. The
 * launcher's handling of the cache is LauncherAotTest.
 */
class AotCacheTest {

    /** Classes every forwarding packet goes through: they must come from the cache. */
    static final List<String> PACKET_PATH = List.of("io.astaire.dataplane.node.Worker", "io.astaire.wire.GpeNshPacket",
            "io.astaire.wire.InnerPacket", "io.astaire.dataplane.transport.LinuxDatagramTransport",
            "io.astaire.dataplane.classify.Classifier");
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

    @TempDir
    static Path dir;
    private static Path jar;
    private static Path java;
    private static Path cache;

    record Result(int exit, String out) {}

    static Result run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("finished: " + command).isTrue();
        return new Result(p.exitValue(), out);
    }

    static Path packagedJar() {
        String jarProperty = System.getProperty("astaire.jar");
        assumeTrue(jarProperty != null, "system property astaire.jar is not set (run through Maven)");
        Path packaged = Path.of(jarProperty).toAbsolutePath().normalize();
        assertThat(packaged).as("the packaged CLI (mvn package)").isRegularFile();
        return packaged;
    }

    @BeforeAll
    static void trainOnce() throws Exception {
        jar = packagedJar();
        java = Path.of(System.getProperty("java.home"), "bin", "java");
        cache = dir.resolve("astaire.aot");
        Result training = run(List.of(java.toString(), NATIVE_ACCESS, "-XX:AOTCacheOutput=" + cache, "-jar", jar.toString(),
                "train", "--seconds", "3"), Map.of());
        assertThat(training.exit()).as(training.out()).isZero();
        assertThat(training.out()).contains("astaire train: done").contains("AOTCache creation is complete");
        assertThat(cache).isNotEmptyFile();
    }

    /** A short run of the packet path on a JVM started with the cache and {@code extraOptions}, with class loading and training replay logged. */
    static String runWithCache(String... extraOptions) throws Exception {
        List<String> command = new ArrayList<>(List.of(java.toString()));
        command.addAll(List.of(extraOptions));
        command.addAll(List.of("-XX:AOTCache=" + cache, "-Xlog:class+load=info", "-Xlog:training=debug",
                "-jar", jar.toString(), "train", "--seconds", "1", "--packets", "5000"));
        Result r = run(command, Map.of());
        assertThat(r.exit()).as(r.out()).isZero();
        return r.out();
    }

    @Test
    void theNextJvmLoadsThePacketPathFromTheCacheAndReplaysItsProfiles() throws Exception {
        String log = runWithCache(NATIVE_ACCESS);
        for (String type : PACKET_PATH) {
            assertThat(log).as("class loading log").contains(type + " source: shared objects file");
        }
        // JEP 515: the profiles the training gathered are there for the JIT.
        assertThat(log).contains("Replay training: io.astaire.dataplane.node.Worker");
        assertThat(log).contains("Replay training: io.astaire.wire.GpeNshPacket");
    }

    @Test
    void aJvmWithDifferentModuleOptionsCannotUseItWhichIsWhyTheLaunchersRepeatThemExactly() throws Exception {
        // The control for the test above: the same log, when the cache is refused, shows the classes from the jar.
        String log = runWithCache();
        assertThat(log).contains("Mismatched values for property jdk.module.enable.native.access");
        assertThat(log).doesNotContain("io.astaire.dataplane.node.Worker source: shared objects file");
        assertThat(log).contains("io.astaire.dataplane.node.Worker source: file:");
    }
}
