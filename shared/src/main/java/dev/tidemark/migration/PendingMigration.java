package dev.tidemark.migration;

/**
 * A migration found at the location and not yet applied.
 *
 * @param version the version
 * @param description the description
 * @param script the file name
 */
public record PendingMigration(MigrationVersion version, String description, String script) {

    static PendingMigration of(MigrationScript s) {
        return new PendingMigration(s.version(), s.description(), s.script());
    }
}
