package dev.tidemark.migration;

/**
 * An applied migration whose file no longer matches the schema history.
 *
 * @param version the migration's version
 * @param script the file name
 * @param recorded the checksum in the schema history
 * @param found the checksum of the file now
 */
public record ChecksumDrift(MigrationVersion version, String script, Integer recorded, int found) {

    /** @return e.g. {@code V2__x.sql: recorded checksum 12, found 34} */
    public String describe() {
        return script + ": recorded checksum " + recorded + ", found " + found;
    }
}
