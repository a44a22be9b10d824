package io.astaire.dataplane.ops;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The version this build of Astaire was made from: the Maven project version, written into
 * {@code build.properties} by resource filtering, so {@code astaire -V}, {@code astaire_build_info}
 * and the container image all say the same.
 */
public final class BuildInfo {
    private static final String RESOURCE = "build.properties";
    private static final String UNKNOWN = "unknown";
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

    /**
     * The filtered version; "unknown" when the classes were not built by Maven (an IDE that skips
     * resource filtering): a label is not worth failing a node's start for, and the tests hold the
     * real build to a real version.
     */
    private static String load() {
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return UNKNOWN;
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version");
            return v == null || v.isBlank() || v.startsWith("${") ? UNKNOWN : v.trim();
        } catch (IOException e) {
            return UNKNOWN;
        }
    }
}
