package io.astaire.systest.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.astaire.k8s.ManifestRenderer;
import io.astaire.k8s.RenderOptions;
import io.astaire.model.TopologyCodec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs astaire nodes the way the rendered pods run them: the user and the capabilities of the
 * Deployment's securityContext applied with {@code setpriv} (bounding set = exactly the added
 * capabilities, no new privileges), in a network namespace of their own as a pod has, with the
 * container's own arguments. Proves that the manifests give each role enough (function nodes as
 * uid 10001 with no capability get ready; the edges create their TUN with NET_ADMIN alone) and
 * that NET_ADMIN is really needed by the edges.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PodSecurityContextTest {

    private static final Path EXAMPLE = Path.of("../examples/chain.yaml").toAbsolutePath().normalize();

    private String netns;
    private Path work;
    private Process node;

    @BeforeEach
    void podNamespace() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (network namespaces, setpriv)");
        for (String tool : List.of("/usr/bin/setpriv", "/usr/bin/curl")) {
            assumeTrue(Files.isExecutable(Path.of(tool)), "needs " + tool);
        }
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        String jar = System.getProperty("astaire.jar");
        assumeTrue(jar != null && Files.isRegularFile(Path.of(jar)), "needs the packaged astaire.jar (run through Maven)");
        netns = "k8spod-" + ProcessHandle.current().pid() + "-" + ThreadLocalRandom.current().nextInt(1000);
        assertThat(exec("ip", "netns", "add", netns).exit()).isZero();
        assertThat(exec("ip", "-n", netns, "link", "set", "lo", "up").exit()).isZero();
        // Readable by the non-root user, like the ConfigMap volume in a pod.
        work = Files.createTempDirectory("astaire-pod", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.copy(EXAMPLE, work.resolve("chain.yaml"));
        Files.setPosixFilePermissions(work.resolve("chain.yaml"), PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (node != null) {
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (netns != null) {
            exec("ip", "netns", "del", netns);
        }
        if (work != null) {
            try (var files = Files.list(work)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(work);
        }
    }

    private record Result(int exit, String out) {}

    private static Result exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        return new Result(p.exitValue(), out);
    }

    private static Container rendered(String deployment) {
        var objects = new ManifestRenderer(RenderOptions.defaults().withNamespace("sfc")).render(TopologyCodec.read(EXAMPLE));
        Deployment d = objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .filter(o -> o.getMetadata().getName().equals(deployment)).findFirst().orElseThrow();
        return d.getSpec().getTemplate().getSpec().getContainers().getFirst();
    }

    /** setpriv arguments that give a process what the securityContext gives a container. */
    private static List<String> setpriv(SecurityContext sc) {
        long uid = sc.getRunAsUser();
        StringBuilder bounding = new StringBuilder("-all");
        if (sc.getCapabilities() != null) {
            assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
            for (String cap : sc.getCapabilities().getAdd()) {
                bounding.append(",+").append(cap.toLowerCase(Locale.ROOT));
            }
        }
        List<String> args = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                "--inh-caps=-all", "--bounding-set=" + bounding));
        if (Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
            args.add("--no-new-privs");
        }
        return args;
    }

    /** The container's arguments with the pod's paths and addresses swapped for this machine's. */
    private List<String> localArgs(Container c, String tun) {
        List<String> args = new ArrayList<>();
        for (String a : c.getArgs()) {
            args.add(switch (a) {
                case "/etc/astaire/chain.yaml" -> work.resolve("chain.yaml").toString();
                case "astaire0" -> tun;
                default -> a.replace("0.0.0.0:", "127.0.0.1:");
            });
        }
        if (tun != null) {
            // Lo is the only interface of this namespace: no route to learn the underlay MTU from.
            args.addAll(List.of("--underlay-mtu", "1500"));
        }
        return args;
    }

    private Process start(SecurityContext sc, List<String> astaireArgs) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        command.addAll(setpriv(sc));
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData", "-Xmx128m",
                "-XX:+UseSerialGC", "-jar", Path.of(System.getProperty("astaire.jar")).toAbsolutePath().toString()));
        command.addAll(astaireArgs);
        node = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("node.log").toFile()).start();
        return node;
    }

    private void awaitReady(Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            assertThat(p.isAlive()).as("node exited: " + Files.readString(work.resolve("node.log"))).isTrue();
            Result r = exec("ip", "netns", "exec", netns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:9090/readyz");
            if (r.out().equals("200")) {
                return;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("not ready in 60 s: " + Files.readString(work.resolve("node.log")));
    }

    private static String status(Process p, String field) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status")).stream()
                .filter(l -> l.startsWith(field + ":")).findFirst().orElseThrow().substring(field.length() + 1).strip();
    }

    @Test
    void aFunctionNodeGetsReadyAsTheNonRootUserWithNoCapability() throws Exception {
        Container c = rendered("astaire-acl");
        assertThat(c.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
        Process p = start(c.getSecurityContext(), localArgs(c, null));
        awaitReady(p);
        assertThat(status(p, "Uid")).startsWith("10001");
        assertThat(status(p, "CapEff")).isEqualTo("0000000000000000");
    }

    @Test
    void theIngressCreatesItsTunWithNetAdminAlone() throws Exception {
        Container c = rendered("astaire-ingress");
        String tun = "kp" + Long.toString(ProcessHandle.current().pid() % 100000) + "t" + ThreadLocalRandom.current().nextInt(100);
        Process p = start(c.getSecurityContext(), localArgs(c, tun));
        awaitReady(p);
        assertThat(exec("ip", "-n", netns, "link", "show", tun).exit()).as("TUN %s exists in the pod's namespace", tun).isZero();
        // NET_ADMIN (bit 12) and nothing else, running as root.
        assertThat(Long.parseLong(status(p, "CapEff"), 16)).isEqualTo(1L << 12);
        assertThat(status(p, "Uid")).startsWith("0");
    }

    @Test
    void withoutNetAdminTheEgressStopsNamingIt() throws Exception {
        Container c = rendered("astaire-egress");
        SecurityContext withoutNetAdmin = new io.fabric8.kubernetes.api.model.SecurityContextBuilder(c.getSecurityContext())
                .editCapabilities().withAdd().endCapabilities().build();
        Process p = start(withoutNetAdmin, localArgs(c, "kpnoadm" + ThreadLocalRandom.current().nextInt(1000)));
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the egress gives up").isTrue();
        assertThat(p.exitValue()).isNotZero();
        assertThat(Files.readString(work.resolve("node.log"))).contains("NET_ADMIN");
    }
}
