package io.astaire.dataplane.ops;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version this build of Astaire was made from: the Maven project version, written into
 * {@code build.properties} by resource filtering, so {@code astaire -V}, {@code astaire_build_info}
 * and the container image all say the same.
 */
public final class BuildInfo {
    private static final String RESOURCE = "build.properties";
    private static final String VERSION = load();

    private BuildInfo() {}

    /** The Maven version, for example {@code 0.1.0-SNAPSHOT}. */
    public static String version() {
        return VERSION;
    }

    /** The Java runtime this process runs on, for example {@code 25.0.1+8-LTS}. */
    public static String javaVersion() {
        return Runtime.version().toString();
    }

    private static String load() {
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath: the jar was not built by Maven");
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version");
            if (v == null || v.isBlank() || v.startsWith("${")) {
                throw new IllegalStateException(RESOURCE + " has no filtered version (" + v + "): the jar was not built by Maven");
            }
            return v.trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }
}
