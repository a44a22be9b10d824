package io.astaire.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs deploy/entrypoint.sh, the image's entry point, with the shells it may meet (the image's
 * /bin/sh is dash on Debian; bash for good measure) on a copy of a pod's resolv.conf, with a
 * stand-in astaire that records its arguments.
 */
class EntrypointScriptTest {

    private static final Path SCRIPT = Path.of("../deploy/entrypoint.sh").toAbsolutePath().normalize();
    private static final String POD_RESOLV_CONF = """
            search sfc.svc.cluster.local svc.cluster.local cluster.local
            nameserver 10.96.0.10
            options ndots:5
            """;

    @TempDir
    Path dir;

    private record Result(int exit, String stderr, List<String> astaireArgs) {}

    private Result run(String shell, Map<String, String> env, String... args) throws Exception {
        Path shellPath = Path.of(shell);
        assumeTrue(Files.isExecutable(shellPath), shell + " is not installed");
        Path record = dir.resolve("args");
        Path fake = dir.resolve("astaire");
        Files.writeString(fake, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + record + "'\nexit 7\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> command = new ArrayList<>(List.of(shell, SCRIPT.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("KUBERNETES_PORT");
        pb.environment().remove("DNS_IP");
        pb.environment().put("RESOLV_CONF", dir.resolve("resolv.conf").toString());
        pb.environment().put("ASTAIRE_BIN", fake.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), err, Files.exists(record) ? Files.readAllLines(record) : null);
    }

    private String resolvConf() throws IOException {
        return Files.readString(dir.resolve("resolv.conf"));
    }

    private static final Map<String, String> IN_KUBERNETES = Map.of("KUBERNETES_PORT", "tcp://10.96.0.1:443", "DNS_IP", "192.168.49.2");

    @ParameterizedTest
    @ValueSource(strings = {"/bin/sh", "/bin/bash"})
    void inKubernetesWithDnsIpTheNodeCacheComesFirstAndTheOldLinesStay(String shell) throws Exception {
        Files.writeString(dir.resolve("resolv.conf"), POD_RESOLV_CONF);
        Result r = run(shell, IN_KUBERNETES, "sf", "--function", "acl", "--listen", "0.0.0.0:4791", "an arg with spaces");
        assertThat(resolvConf()).isEqualTo("nameserver 192.168.49.2\n" + POD_RESOLV_CONF);
        // exec: astaire gets the arguments untouched, and its exit status is the container's.
        assertThat(r.astaireArgs()).containsExactly("sf", "--function", "acl", "--listen", "0.0.0.0:4791", "an arg with spaces");
        assertThat(r.exit()).isEqualTo(7);
        assertThat(r.stderr()).contains("nameserver 192.168.49.2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bin/sh", "/bin/bash"})
    void runningAgainChangesNothing(String shell) throws Exception {
        Files.writeString(dir.resolve("resolv.conf"), POD_RESOLV_CONF);
        run(shell, IN_KUBERNETES, "egress");
        run(shell, IN_KUBERNETES, "egress");
        assertThat(resolvConf()).isEqualTo("nameserver 192.168.49.2\n" + POD_RESOLV_CONF);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bin/sh", "/bin/bash"})
    void outsideKubernetesTheFileIsLeftAlone(String shell) throws Exception {
        Files.writeString(dir.resolve("resolv.conf"), POD_RESOLV_CONF);
        Result r = run(shell, Map.of("DNS_IP", "192.168.49.2"), "--help");
        assertThat(resolvConf()).isEqualTo(POD_RESOLV_CONF);
        assertThat(r.astaireArgs()).containsExactly("--help");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bin/sh", "/bin/bash"})
    void withoutDnsIpTheFileIsLeftAlone(String shell) throws Exception {
        Files.writeString(dir.resolve("resolv.conf"), POD_RESOLV_CONF);
        Result r = run(shell, Map.of("KUBERNETES_PORT", "tcp://10.96.0.1:443"), "ingress", "--tun", "astaire0");
        assertThat(resolvConf()).isEqualTo(POD_RESOLV_CONF);
        assertThat(r.astaireArgs()).containsExactly("ingress", "--tun", "astaire0");
        assertThat(r.stderr()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bin/sh", "/bin/bash"})
    void theInitContainerModeOnlyBootstrapsAndExits(String shell) throws Exception {
        Files.writeString(dir.resolve("resolv.conf"), POD_RESOLV_CONF);
        Result r = run(shell, IN_KUBERNETES, "dns-bootstrap");
        assertThat(r.exit()).isZero();
        assertThat(r.astaireArgs()).as("astaire is not started").isNull();
        assertThat(resolvConf()).startsWith("nameserver 192.168.49.2\nsearch ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bin/sh", "/bin/bash"})
    void theFileIsRewrittenInPlaceBecauseTheRuntimeBindMountsIt(String shell) throws Exception {
        Path conf = dir.resolve("resolv.conf");
        Files.writeString(conf, POD_RESOLV_CONF);
        Object inode = Files.getAttribute(conf, "unix:ino");
        run(shell, IN_KUBERNETES, "sf");
        assertThat(Files.getAttribute(conf, "unix:ino")).isEqualTo(inode);
    }
}
