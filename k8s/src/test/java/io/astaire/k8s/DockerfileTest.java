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
        assertThat(sources).contains("deploy/jlink-modules.txt", "deploy/jlink-runtime.sh", "deploy/entrypoint.sh", "deploy/astaire.sh");
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
        String entrypoint = Files.readString(REPO.resolve("deploy/entrypoint.sh"));
        assertThat(lines).contains("COPY --from=jlink /opt/astaire/runtime /opt/astaire/runtime",
                "COPY --from=build /src/cli/target/astaire.jar /opt/astaire/lib/astaire.jar",
                "COPY --chmod=0755 deploy/astaire.sh /opt/astaire/bin/astaire",
                "COPY --chmod=0755 deploy/entrypoint.sh /usr/local/bin/astaire-entrypoint",
                "ENTRYPOINT [\"/usr/local/bin/astaire-entrypoint\"]");
        assertThat(launcher).contains("/opt/astaire/runtime/bin/java").contains("/opt/astaire/lib/astaire.jar");
        assertThat(entrypoint).contains("ASTAIRE_BIN:-/opt/astaire/bin/astaire");
        assertThat(lines).anyMatch(l -> l.startsWith("RUN") && l.contains("jlink-runtime.sh /tmp/astaire.jar /opt/astaire/runtime"));
        assertThat(lines).anyMatch(l -> l.startsWith("RUN") && l.contains("./mvnw") && l.contains("package"));
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
