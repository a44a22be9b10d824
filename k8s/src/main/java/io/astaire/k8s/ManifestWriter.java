package io.astaire.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes rendered objects as one multi-document YAML stream, or as one file per object. */
public final class ManifestWriter {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private ManifestWriter() {}

    /** One object as a YAML document, without the leading {@code ---}. */
    public static String toYaml(HasMetadata object) {
        String yaml = SERIALIZATION.asYaml(object);
        return yaml.startsWith("---\n") ? yaml.substring(4) : yaml;
    }

    /** All objects as a multi-document YAML stream, each document opened by {@code ---}. */
    public static String toYamlStream(List<HasMetadata> objects) {
        StringBuilder sb = new StringBuilder();
        for (HasMetadata o : objects) {
            sb.append("---\n").append(toYaml(o));
        }
        return sb.toString();
    }

    /**
     * Writes each object to {@code dir/NN-kind-name.yaml}; the number keeps {@code kubectl apply -f dir}
     * in the render order. Returns the files written.
     */
    public static List<Path> writeDirectory(List<HasMetadata> objects, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>(objects.size());
        for (int i = 0; i < objects.size(); i++) {
            HasMetadata o = objects.get(i);
            String name = String.format(Locale.ROOT, "%02d-%s-%s.yaml", i + 1, o.getKind().toLowerCase(Locale.ROOT), o.getMetadata().getName());
            Path file = dir.resolve(name);
            Files.writeString(file, toYaml(o));
            files.add(file);
        }
        return files;
    }
}
