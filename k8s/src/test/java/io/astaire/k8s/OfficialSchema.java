package io.astaire.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The official Kubernetes OpenAPI schema, as kubernetes-models (npm) compiles it into validators:
 * types, formats, enums and required fields of every built-in kind. It knows nothing of fields a
 * schema does not list (the schema allows them), which is what {@link StrictManifests}' walk of
 * the fabric8 model refuses; together they refuse what {@code kubectl apply --validate=strict}
 * would.
 *
 * <p>One Node.js process per test JVM answers a line per object ({@code src/test/schema-check/check.mjs}).
 * Its packages are installed with {@code npm ci} from the committed lock file into
 * {@code target/schema-check} the first time. Without Node.js or the npm registry it is
 * {@linkplain #unavailable() unavailable}, and says why.
 */
final class OfficialSchema {
    private static final Path SOURCE = Path.of("src/test/schema-check");
    private static final Path WORK = Path.of("target/schema-check");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Kinds of custom resources: no built-in schema; the CRD's own schema is tested where the CRD is made. */
    private static final List<String> CUSTOM_GROUPS = List.of("astaire.io/", "monitoring.coreos.com/", "cert-manager.io/");

    /** Whether {@code apiVersion} is of a custom resource's group, which neither this schema nor the fabric8 model knows. */
    static boolean isCustom(String apiVersion) {
        return apiVersion != null && CUSTOM_GROUPS.stream().anyMatch(apiVersion::startsWith);
    }

    private static OfficialSchema instance;
    private static String unavailable;

    private final Process node;
    private final BufferedWriter in;
    private final BufferedReader out;

    private OfficialSchema(Process node) {
        this.node = node;
        this.in = new BufferedWriter(new OutputStreamWriter(node.getOutputStream(), StandardCharsets.UTF_8));
        this.out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
    }

    /** The checker, started on first use; empty when it cannot run here ({@link #unavailable()} says why). */
    static synchronized Optional<OfficialSchema> get() {
        if (instance == null && unavailable == null) {
            try {
                instance = start();
            } catch (IOException | InterruptedException | RuntimeException e) {
                unavailable = e.getMessage();
                System.err.println("OfficialSchema: the Kubernetes OpenAPI schema check does not run: " + unavailable);
            }
        }
        return Optional.ofNullable(instance);
    }

    /** Why {@link #get()} is empty, or null. */
    static synchronized String unavailable() {
        get();
        return unavailable;
    }

    private static OfficialSchema start() throws IOException, InterruptedException {
        Files.createDirectories(WORK);
        for (String file : List.of("package.json", "package-lock.json", "check.mjs")) {
            Files.copy(SOURCE.resolve(file), WORK.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(WORK.resolve("node_modules/kubernetes-models"))) {
            run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
        }
        Process node = new ProcessBuilder("node", "check.mjs").directory(WORK.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        OfficialSchema schema = new OfficialSchema(node);
        String probe = schema.answer("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"probe\"}}");
        if (!probe.contains("\"ok\":true")) {
            node.destroy();
            throw new IllegalStateException("check.mjs answered " + probe + " for a valid ConfigMap");
        }
        return schema;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(WORK.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(command[0] + " is not installed (" + e.getMessage() + ")", e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed in " + WORK + ": " + output.strip());
        }
    }

    private synchronized String answer(String jsonLine) throws IOException {
        in.write(jsonLine);
        in.newLine();
        in.flush();
        String line = out.readLine();
        if (line == null) {
            throw new IOException("the schema checker (node check.mjs) exited");
        }
        return line;
    }

    /**
     * What the schema says is wrong with {@code object} (a parsed manifest document), or empty.
     * A kind with no built-in schema is a problem unless it is one of our custom resources'.
     */
    Optional<String> problems(JsonNode object) {
        try {
            JsonNode answer = JSON.readTree(answer(JSON.writeValueAsString(object)));
            if (answer.has("ok")) {
                return Optional.empty();
            }
            if (answer.has("noSchema")) {
                String kind = answer.get("noSchema").asText();
                return CUSTOM_GROUPS.stream().anyMatch(kind::startsWith) ? Optional.empty()
                        : Optional.of("the Kubernetes OpenAPI schema has no kind " + kind);
            }
            return Optional.of(answer.path("errors").asText());
        } catch (IOException e) {
            throw new IllegalStateException("the schema checker failed: " + e.getMessage(), e);
        }
    }
}
