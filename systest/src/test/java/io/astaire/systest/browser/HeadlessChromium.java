package io.astaire.systest.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real headless Chromium driven over the DevTools protocol (CDP) with the JDK's own WebSocket:
 * no driver binary, no library. One page: navigate, evaluate JavaScript, take a screenshot.
 */
public final class HeadlessChromium implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path profile;
    private final List<String> stderr;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    private HeadlessChromium(Process process, Path profile, List<String> stderr, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.stderr = stderr;
        this.socket = socket;
    }

    /** The chromium binary on this machine, or null (Debian's package installs /usr/bin/chromium). */
    public static Path find() {
        for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        return null;
    }

    /**
     * Starts {@code binary} headless with a fresh profile and attaches to its first page.
     *
     * @throws CannotStart with what Chromium printed when it does not come up within {@code startTimeout}
     */
    public static HeadlessChromium start(Path binary, int width, int height, Duration startTimeout) throws IOException {
        Path profile = Files.createTempDirectory("astaire-chromium-");
        // --no-sandbox: tests run as root, where Chromium's sandbox refuses to start.
        Process p = new ProcessBuilder(binary.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "--user-data-dir=" + profile,
                "--window-size=" + width + "," + height, "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        List<String> stderr = java.util.Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<String> endpoint = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("chromium-stderr").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (stderr.size() < 500) {
                        stderr.add(line);
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        endpoint.complete(m.group(1));
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            endpoint.complete(null);
        });
        String browserWs;
        try {
            browserWs = endpoint.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            browserWs = null;
        }
        if (browserWs == null) {
            destroyTree(p);
            throw new CannotStart("chromium did not print its DevTools address within " + startTimeout.toSeconds() + " s:\n"
                    + String.join("\n", stderr));
        }
        URI base = URI.create(browserWs.replaceFirst("^ws://", "http://").replaceFirst("/devtools/.*$", ""));
        HttpClient http = HttpClient.newHttpClient();
        String pageWs = null;
        try {
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(base.resolve("/json/list")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            for (JsonNode target : JSON.readTree(list.body())) {
                if ("page".equals(target.path("type").asText())) {
                    pageWs = target.path("webSocketDebuggerUrl").asText();
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (pageWs == null) {
            destroyTree(p);
            throw new CannotStart("chromium runs but lists no page at " + base + "/json/list");
        }
        HeadlessChromium[] self = new HeadlessChromium[1];
        WebSocket ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(pageWs), new Listener(message -> self[0].received(message))).join();
        self[0] = new HeadlessChromium(p, profile, stderr, ws);
        return self[0];
    }

    /** Chromium could not be started on this machine. */
    public static final class CannotStart extends IOException {
        CannotStart(String message) {
            super(message);
        }
    }

    /** Starts loading {@code url} (answers once the navigation is committed; poll the page for what it draws). */
    public void navigate(String url) {
        call("Page.enable", JSON.createObjectNode());
        ObjectNode params = JSON.createObjectNode().put("url", url);
        JsonNode r = call("Page.navigate", params);
        if (r.hasNonNull("errorText")) {
            throw new IllegalStateException("navigating to " + url + ": " + r.get("errorText").asText());
        }
    }

    /** The value of {@code expression} (awaited when it is a promise), as JSON. */
    public JsonNode evaluate(String expression) {
        ObjectNode params = JSON.createObjectNode().put("expression", expression).put("returnByValue", true).put("awaitPromise", true);
        JsonNode r = call("Runtime.evaluate", params);
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException("the page threw: " + r.get("exceptionDetails").toString());
        }
        return r.path("result").path("value");
    }

    /** Saves a PNG of the page's viewport to {@code file}. */
    public void screenshot(Path file) throws IOException {
        JsonNode r = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, Base64.getDecoder().decode(r.get("data").asText()));
    }

    /** Sends one CDP command and waits for its answer. */
    public JsonNode call(String method, ObjectNode params) {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
        message.set("params", params);
        socket.sendText(message.toString(), true).join();
        try {
            JsonNode r = answer.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (r.has("error")) {
                throw new IllegalStateException(method + ": " + r.get("error"));
            }
            return r.path("result");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(method + ": interrupted");
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(method + ": no answer from chromium within " + CALL_TIMEOUT.toSeconds() + " s", e);
        } finally {
            pending.remove(id);
        }
    }

    /** What chromium printed on stderr (for failure messages). */
    public String log() {
        synchronized (stderr) {
            return String.join("\n", stderr);
        }
    }

    private void received(String message) {
        try {
            JsonNode m = JSON.readTree(message);
            if (m.has("id")) {
                CompletableFuture<JsonNode> f = pending.get(m.get("id").asInt());
                if (f != null) {
                    f.complete(m);
                }
            } // events are not used
        } catch (IOException e) {
            // not JSON: ignore, the call times out with a clear message
        }
    }

    /** Joins a message's frames (a screenshot comes in many) before handing it on. */
    private static final class Listener implements WebSocket.Listener {
        private final java.util.function.Consumer<String> onMessage;
        private final StringBuilder partial = new StringBuilder();

        Listener(java.util.function.Consumer<String> onMessage) {
            this.onMessage = onMessage;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String message = partial.toString();
                partial.setLength(0);
                onMessage.accept(message);
            }
            webSocket.request(1);
            return null;
        }
    }

    @Override
    public void close() {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing the browser anyway
        }
        destroyTree(process);
        try (var files = Files.walk(profile)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            // a temp folder left behind
        }
    }

    private static void destroyTree(Process p) {
        // Chromium runs renderer and utility processes: end them with it.
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                children.forEach(ProcessHandle::destroyForcibly);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
