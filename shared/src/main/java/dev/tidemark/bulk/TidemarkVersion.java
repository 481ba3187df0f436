package dev.tidemark.bulk;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of Tidemark that is running, from {@code tidemark-version.properties} (written by the Maven build). */
public final class TidemarkVersion {

    private static final String VERSION = load();

    private TidemarkVersion() {
    }

    private static String load() {
        try (InputStream in = TidemarkVersion.class.getResourceAsStream("/tidemark-version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** @return e.g. {@code 0.1.0-SNAPSHOT} */
    public static String get() {
        return VERSION;
    }
}
