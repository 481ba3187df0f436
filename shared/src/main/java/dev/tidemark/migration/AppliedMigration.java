package dev.tidemark.migration;

import java.time.Instant;

/**
 * One row of a schema history (Flyway's {@code flyway_schema_history} columns, the same fields on every store).
 *
 * @param installedRank order in which it was recorded, from 1
 * @param version the version, or {@code null} for a row without one
 * @param description the description
 * @param type {@code SQL}, {@code JSON}, {@code HTTP} or {@code BASELINE}
 * @param script the file name
 * @param checksum the checksum recorded when applied, or {@code null}
 * @param installedBy who applied it
 * @param installedOn when it was recorded
 * @param executionTimeMs how long it ran, in milliseconds
 * @param success whether it succeeded
 * @param error the error of a failed step (MongoDB, Elasticsearch), or {@code null}
 */
public record AppliedMigration(int installedRank, MigrationVersion version, String description, String type, String script,
                               Integer checksum, String installedBy, Instant installedOn, long executionTimeMs, boolean success,
                               String error) {
}
