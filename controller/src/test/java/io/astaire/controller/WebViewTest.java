package io.astaire.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /ui} serves the web view from the jar without a token (reads are public), every
 * module the page imports is served with a JavaScript type, nothing is fetched from elsewhere
 * (the policy says so), and a name that is not one of its files is a 404 in the API's format.
 */
class WebViewTest {
    @TempDir
    Path dir;
    private RunningController controller;

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    @Test
    void servesThePageAndEveryModuleItImportsWithoutAToken() {
        controller = new RunningController(dir.resolve("c.db"));
        Http anonymous = new Http(controller.uri(), null);

        Http.Response page = anonymous.get("/ui");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(page.header("Content-Security-Policy")).contains("default-src 'self'").contains("frame-ancestors 'none'");
        assertThat(page.body()).contains("<svg id=\"graph\"").contains("src=\"/ui/app.js\"");
        assertThat(anonymous.get("/ui/").status()).isEqualTo(200);

        // Every module reachable from app.js is served: a missing one would leave the page blank.
        java.util.Set<String> seen = new java.util.TreeSet<>();
        java.util.Deque<String> todo = new java.util.ArrayDeque<>(java.util.List.of("app.js"));
        Pattern imports = Pattern.compile("from '\\./([a-z]+\\.js)'");
        while (!todo.isEmpty()) {
            String module = todo.pop();
            if (!seen.add(module)) {
                continue;
            }
            Http.Response js = anonymous.get("/ui/" + module);
            assertThat(js.status()).as(module).isEqualTo(200);
            assertThat(js.header("Content-Type")).as(module).startsWith("text/javascript");
            // (The SVG namespace URI is a name, not a fetch.)
            assertThat(js.body()).as(module + " imports and fetches nothing from another origin")
                    .doesNotContainPattern("(from|import\\(|fetch\\()\\s*['\"`](https?:)?//");
            Matcher m = imports.matcher(js.body());
            while (m.find()) {
                todo.add(m.group(1));
            }
        }
        assertThat(seen).contains("api.js", "rates.js", "chain.js", "graph.js", "panel.js", "trace.js", "token.js");
        assertThat(anonymous.get("/ui/style.css").header("Content-Type")).startsWith("text/css");
    }

    @Test
    void anUnknownFileIsA404AndNoPathReachesTheClassPath() {
        controller = new RunningController(dir.resolve("c.db"));
        Http anonymous = new Http(controller.uri(), null);
        Http.Response missing = anonymous.get("/ui/nope.js");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("message").asText()).contains("no file 'nope.js'");
        assertThat(anonymous.get("/ui/..%2Fopenapi.yaml").status()).isEqualTo(404);
        assertThat(anonymous.get("/ui/db/V1__registry.sql").status()).isEqualTo(404);
    }
}
