package io.astaire.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No container engine runs here, so deploy/Dockerfile is checked for consistency with the files
 * and names it relies on: what it copies exists, the paths the scripts expect are where the image
 * puts things, and the user is the one the rendered manifests run function nodes as. The jlink
 * step itself runs in systest's JlinkImageTest with the same script and module list.
 */
class DockerfileTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    private static List<String> instructions() throws Exception {
        // Join continuation lines, drop comments.
        String text = Files.readString(REPO.resolve("deploy/Dockerfile")).replaceAll("\\\\\\n", " ");
        return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    @Test
    void everyCopiedFileExistsInTheRepository() throws Exception {
        List<String> sources = new ArrayList<>();
        for (String line : instructions()) {
            if (line.startsWith("COPY ") && !line.contains("--from=")) {
                List<String> words = new ArrayList<>(Arrays.stream(line.substring(5).trim().split("\\s+")).filter(w -> !w.startsWith("--")).toList());
                words.removeLast();
                sources.addAll(words);
            }
        }
        assertThat(sources).contains("deploy/jlink-modules.txt", "deploy/jlink-runtime.sh", "deploy/astaire.sh");
        for (String s : sources) {
            if (!s.equals(".")) {
                assertThat(REPO.resolve(s)).as("COPY source " + s).exists();
            }
        }
    }

    @Test
    void thePathsTheScriptsExpectAreWhereTheImagePutsThings() throws Exception {
        List<String> lines = instructions();
        String launcher = Files.readString(REPO.resolve("deploy/astaire.sh"));
        assertThat(lines).contains("COPY --from=jlink /opt/astaire/runtime /opt/astaire/runtime",
                "COPY --from=build /src/cli/target/astaire.jar /opt/astaire/lib/astaire.jar",
                "COPY --chmod=0755 deploy/astaire.sh /opt/astaire/bin/astaire",
                "ENTRYPOINT [\"/opt/astaire/bin/astaire\"]");
        assertThat(launcher).contains("/opt/astaire/runtime/bin/java").contains("/opt/astaire/lib/astaire.jar");
        assertThat(lines).anyMatch(l -> l.startsWith("RUN") && l.contains("jlink-runtime.sh /tmp/astaire.jar /opt/astaire/runtime"));
        assertThat(lines).anyMatch(l -> l.startsWith("RUN") && l.contains("./mvnw") && l.contains("package"));
    }

    /** The dnsmasq DaemonSet runs this image's dnsmasq and drops to this image's user. */
    @Test
    void theImageHasTheDnsmasqAndTheUserTheCacheDaemonSetRuns() throws Exception {
        List<String> lines = instructions();
        assertThat(lines).anyMatch(l -> l.startsWith("RUN") && l.contains("apt-get install") && l.contains(" dnsmasq-base"));
        var dnsmasq = ((io.fabric8.kubernetes.api.model.apps.DaemonSet) new ManifestRenderer(RenderOptions.defaults()).renderDnsmasq().getFirst())
                .getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(dnsmasq.getImage()).isEqualTo(RenderOptions.DEFAULT_IMAGE);
        assertThat(dnsmasq.getCommand()).containsExactly("/usr/sbin/dnsmasq"); // where Debian's package puts it
        assertThat(dnsmasq.getArgs()).contains("--user=astaire", "--group=astaire");
        assertThat(lines).anyMatch(l -> l.contains("groupadd") && l.contains(" astaire"))
                .anyMatch(l -> l.contains("useradd") && l.contains("--gid astaire") && l.contains(" astaire "));
    }

    @Test
    void theImageRunsAsTheNonRootUserOfTheManifestsOnAGlibcBase() throws Exception {
        List<String> lines = instructions();
        assertThat(lines).contains("USER " + Names.NON_ROOT_UID + ":" + Names.NON_ROOT_UID);
        assertThat(lines).anyMatch(l -> l.contains("useradd") && l.contains("--uid " + Names.NON_ROOT_UID));
        Matcher base = Pattern.compile("ARG BASE_IMAGE=(\\S+)").matcher(String.join("\n", lines));
        assertThat(base.find()).isTrue();
        // The TUN and socket code calls glibc through FFM: no musl (alpine) base.
        assertThat(base.group(1)).startsWith("debian:");
        assertThat(lines.stream().filter(l -> l.startsWith("FROM ")).toList()).hasSize(3);
    }
}
