package dev.tidemark.migration;

/**
 * A versioned migration file read from a location: {@code V<version>__<description>.<ext>} (Flyway naming).
 *
 * @param version the version from the file name
 * @param description the description from the file name, underscores shown as spaces
 * @param script the file name, e.g. {@code V3__add_consent.json}
 * @param content the file's text (UTF-8)
 * @param checksum Flyway's CRC32 of the file's lines (see {@link Checksums})
 */
public record MigrationScript(MigrationVersion version, String description, String script, String content, int checksum) {
}
