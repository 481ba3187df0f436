package dev.tidemark.migration;

import dev.tidemark.error.ValidationException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Placeholders replaced in migration files before they run, in Flyway's syntax: {@code ${name}}. Values come from
 * {@code TIDEMARK_PLACEHOLDERS} (a JSON object); {@code ${tidemark:target}} and {@code ${tidemark:store}} are always
 * defined. As in Flyway, checksums are computed on the file as written, so changing a value does not make an applied
 * migration drift, and a placeholder without a value is an error naming the file.
 *
 * @param values placeholder name to value
 */
public record Placeholders(Map<String, String> values) {

    /** No user placeholders. */
    public static final Placeholders NONE = new Placeholders(Map.of());

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_.:-]+)}");

    /** Canonical constructor: copies the map. */
    public Placeholders {
        values = Map.copyOf(values);
    }

    /**
     * @param store the target's store
     * @param target the target's name
     * @return the user values plus the built-in {@code tidemark:} ones
     */
    public Map<String, String> forTarget(Store store, String target) {
        Map<String, String> all = new LinkedHashMap<>(values);
        all.put("tidemark:target", target);
        all.put("tidemark:store", store.id());
        return all;
    }

    /**
     * @param script the migration
     * @param values the values for this target ({@link #forTarget})
     * @return the file text with every placeholder replaced
     * @throws ValidationException naming the file and the placeholder when one has no value
     */
    public static String apply(MigrationScript script, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(script.content());
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null && m.group(1).startsWith("flyway:")) {
                value = m.group(0); // Flyway's own placeholders are left for Flyway to replace
            }
            if (value == null) {
                throw new ValidationException("migration " + script.script() + ": no value for placeholder ${" + m.group(1)
                    + "}; define it in TIDEMARK_PLACEHOLDERS");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
