package dev.tidemark.migration;

/**
 * A migration that a migrate call ran (or, in a dry run, would run).
 *
 * @param version the version
 * @param description the description
 * @param script the file name
 * @param executionTimeMs how long it ran in milliseconds; 0 in a dry run
 */
public record AppliedStep(MigrationVersion version, String description, String script, long executionTimeMs) {
}
