package io.astaire.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The web view's plain modules (rates from counter deltas, the chain's hops, formatting) under
 * Node's own test runner: {@code node --test src/test/js/}. Skipped, saying so, without a Node
 * that loads ES modules from {@code .js} files (20.19 or 22.7 and newer); the page itself is
 * tested in a real browser by systest's {@code WebViewTest}.
 */
class WebViewScriptsTest {
    @Test
    void theModulesPassTheirNodeTests() throws Exception {
        Path node = onPath("node");
        assumeTrue(node != null, "node is not installed: the web view's script tests (controller/src/test/js) did not run");
        String version = run(node.toString(), "--version").strip();
        assumeTrue(loadsModulesFromJs(version), "node " + version + " does not load ES modules from .js files (needs 20.19 or 22.7+)");
        Process p = new ProcessBuilder(node.toString(), "--test", "src/test/js/").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("# fail 0").containsPattern("# pass [1-9]");
    }

    static boolean loadsModulesFromJs(String version) {
        Matcher m = Pattern.compile("v(\\d+)\\.(\\d+)").matcher(version);
        if (!m.find()) {
            return false;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > 22 || (major == 22 && minor >= 7) || (major == 20 && minor >= 19);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private static Path onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
