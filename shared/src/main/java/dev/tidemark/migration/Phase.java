package dev.tidemark.migration;

import dev.tidemark.error.ValidationException;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rollout phase a versioned migration belongs to (expand/contract, also called parallel change): {@link #EXPAND}
 * (additive, compatible with the application still running; the default) or {@link #CONTRACT} (removes what the old
 * application still needs, so it runs only after the new application is deployed). Declared in the file like an
 * approval marker: {@code -- tidemark:phase contract} in SQL, {@code # tidemark:phase contract} in {@code .http}, the
 * string element {@code "tidemark:phase contract"} in a MongoDB migration's command array.
 */
public enum Phase {
    /** Additive: runs before the application is deployed. */
    EXPAND,
    /** Removes what the old application needs: runs after the application is deployed. */
    CONTRACT;

    private static final Pattern MARKER = Pattern.compile("tidemark:phase\\b(.*)");
    private static final Pattern BODY = Pattern.compile("\\s+(expand|contract)\\s*(?:\"\\s*,?\\s*)?(?:\\*/\\s*)?$");

    /**
     * @param script a versioned migration
     * @return its declared phase, {@link #EXPAND} when it declares none
     * @throws ValidationException naming file and line for a malformed marker or two markers
     */
    public static Phase of(MigrationScript script) {
        Phase found = null;
        String[] lines = script.content().split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = MARKER.matcher(lines[i]);
            if (!m.find()) {
                continue;
            }
            String where = script.script() + ":" + (i + 1) + ": phase marker";
            Matcher b = BODY.matcher(m.group(1));
            if (!b.matches()) {
                throw new ValidationException(where + " is malformed; expected 'tidemark:phase expand' or 'tidemark:phase contract'");
            }
            if (found != null) {
                throw new ValidationException(where + " is a second phase marker; a migration belongs to one phase");
            }
            found = valueOf(b.group(1).toUpperCase(Locale.ROOT));
        }
        return found == null ? EXPAND : found;
    }

    /** @return the name used in events and results: {@code expand} or {@code contract} */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
