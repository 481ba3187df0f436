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
 * @param epoch the lease epoch of the run that wrote it (MongoDB, Elasticsearch; {@code 0} on PostgreSQL and for records
 *              written before epochs existed): a record is only ever rewritten by a run of the same or a later epoch
 */
public record AppliedMigration(int installedRank, MigrationVersion version, String description, String type, String script,
                               Integer checksum, String installedBy, Instant installedOn, long executionTimeMs, boolean success,
                               String error, long epoch) {

    /**
     * A record without a lease epoch (PostgreSQL's, or one read before epochs existed).
     *
     * @param installedRank order in which it was recorded, from 1
     * @param version the version, or {@code null}
     * @param description the description
     * @param type the type
     * @param script the file name
     * @param checksum the checksum, or {@code null}
     * @param installedBy who applied it
     * @param installedOn when it was recorded
     * @param executionTimeMs how long it ran, in milliseconds
     * @param success whether it succeeded
     * @param error the error, or {@code null}
     */
    public AppliedMigration(int installedRank, MigrationVersion version, String description, String type, String script, Integer checksum,
                            String installedBy, Instant installedOn, long executionTimeMs, boolean success, String error) {
        this(installedRank, version, description, type, script, checksum, installedBy, installedOn, executionTimeMs, success, error, 0);
    }

    /**
     * @param writer the epoch of the run that writes it
     * @return this record as written by that run
     */
    public AppliedMigration writtenIn(long writer) {
        return new AppliedMigration(installedRank, version, description, type, script, checksum, installedBy, installedOn, executionTimeMs,
            success, error, writer);
    }
}
