package dev.tidemark.migration;

/**
 * Versioned migrations on one target (one database or cluster). Implementations: PostgreSQL (Flyway), MongoDB,
 * Elasticsearch. Every implementation guarantees that two concurrent {@link #migrate} calls on the same target never
 * apply the same migration twice.
 */
public interface MigrationEngine extends AutoCloseable {

    /** @return the target's state: current version, applied, pending, failed, drift */
    InfoResult info();

    /**
     * Checks applied migrations against their files.
     *
     * @throws dev.tidemark.error.ChecksumMismatchException naming each file with recorded and found checksums
     */
    default void validate() {
        info().requireNoDrift();
    }

    /**
     * Applies pending migrations in version order up to {@code target}, under the target's lock.
     *
     * @param target where to stop
     * @param dryRun when true, lists what would run and changes nothing (no history, no lock left behind)
     * @return what ran
     * @throws dev.tidemark.error.ChecksumMismatchException if validation fails (nothing runs)
     * @throws dev.tidemark.error.RepairRequiredException if the history holds a failed migration
     * @throws dev.tidemark.error.MigrationFailedException if a migration fails
     * @throws dev.tidemark.error.LockContentionException if the lock stays held by another run
     */
    MigrateResult migrate(TargetVersion target, boolean dryRun);

    /**
     * Marks an existing target as being at {@code version} without running anything (Flyway's baseline). Only allowed
     * on a target whose history is empty.
     *
     * @param version the baseline version
     * @param description the description recorded
     */
    void baseline(MigrationVersion version, String description);

    /**
     * One round trip to the server (PostgreSQL {@code SELECT 1}, MongoDB {@code ping}, Elasticsearch
     * {@code GET /_cluster/health}).
     *
     * @throws dev.tidemark.error.ConnectionException when the server does not answer
     */
    void ping();

    @Override
    void close();
}
