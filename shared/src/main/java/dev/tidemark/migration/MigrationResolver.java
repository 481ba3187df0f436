package dev.tidemark.migration;

import dev.tidemark.error.ValidationException;
import dev.tidemark.location.ScriptFile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the files of a location into ordered versioned migrations, by Flyway's naming:
 * {@code V<version>__<description>.<ext>}, and their undo migrations {@code U<version>__<description>.<ext>}, the
 * extension being the store's ({@link Store#extension()}). Files of other shapes (notes, other extensions) are
 * skipped.
 */
public final class MigrationResolver {

    private static final Pattern VERSIONED = Pattern.compile("V(\\d+(?:[._]\\d+)*)__(.+)\\.([A-Za-z]+)");
    private static final Pattern UNDO = Pattern.compile("U(\\d+(?:[._]\\d+)*)__(.+)\\.([A-Za-z]+)");

    private MigrationResolver() {
    }

    /**
     * @param store the store whose extension selects the files
     * @param files files read from a location
     * @return migrations in ascending version order
     * @throws ValidationException if two files carry the same version, or a file's description is empty
     */
    public static List<MigrationScript> resolve(Store store, List<ScriptFile> files) {
        return resolve(store, files, VERSIONED, "V");
    }

    /**
     * @param store the store whose extension selects the files
     * @param files files read from a location
     * @return undo migrations ({@code U<version>__<description>.<ext>}) in ascending version order
     * @throws ValidationException if two undo files carry the same version, or a file's description is empty
     */
    public static List<MigrationScript> resolveUndo(Store store, List<ScriptFile> files) {
        return resolve(store, files, UNDO, "U");
    }

    private static List<MigrationScript> resolve(Store store, List<ScriptFile> files, Pattern pattern, String prefix) {
        List<MigrationScript> scripts = new ArrayList<>();
        Map<MigrationVersion, String> seen = new HashMap<>();
        for (ScriptFile file : files) {
            Matcher m = pattern.matcher(file.name());
            if (!m.matches() || !m.group(3).equalsIgnoreCase(store.extension())) {
                continue;
            }
            MigrationVersion version = MigrationVersion.parse(m.group(1));
            String description = m.group(2).replace('_', ' ').trim();
            if (description.isEmpty()) {
                throw new ValidationException("migration " + file.path() + ": empty description; expected " + prefix + "<version>__<description>." + store.extension());
            }
            String previous = seen.put(version, file.path());
            if (previous != null) {
                throw new ValidationException((prefix.equals("U") ? "undo " : "") + "migration version " + version + " is defined twice: " + previous + " and " + file.path());
            }
            scripts.add(new MigrationScript(version, description, file.name(), file.content(), Checksums.of(file.content())));
        }
        scripts.sort(Comparator.comparing(MigrationScript::version));
        return scripts;
    }
}
