package dev.tidemark.migration;

import java.util.List;

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
     * Sets the undo migrations ({@code U<version>__<description>.<ext>}, Flyway naming) this engine may run.
     *
     * @param undoScripts resolved undo migrations, any order
     * @return this engine
     */
    MigrationEngine undoScripts(List<MigrationScript> undoScripts);

    /**
     * Undoes applied versions above {@code to}, newest first, each by its undo migration, under the target's lock; each
     * undone version gets a record of type {@value InfoResult#UNDONE_TYPE} in the schema history (Flyway's marker for a
     * deleted migration: Flyway's own {@code info} shows the version as deleted and pending again, and a later migrate
     * applies it again). A version recorded as failed above {@code to} is cleaned up the same way: its undo migration
     * runs (on MongoDB and Elasticsearch, answers that the object does not exist are accepted, since the failed
     * migration may have stopped before creating it) and the failure is marked undone. On PostgreSQL each undo runs in
     * its own transaction together with its history record, unless it holds statements that cannot run in one
     * ({@code ... CONCURRENTLY}).
     *
     * @param to the version the target is at afterwards; {@code null} or {@code 0} undoes every applied version
     * @param dryRun when true, lists the undo statements that would run and changes nothing
     * @return what ran (status {@code UNDONE}, {@code UP_TO_DATE} or {@code DRY_RUN}), newest version first
     * @throws dev.tidemark.error.ValidationException before anything runs: {@code to} above the current version, a
     *         version never applied, a version without an undo migration (named), a baseline in the way, or drift
     * @throws dev.tidemark.error.MigrationFailedException if an undo migration fails (naming its file); versions
     *         undone before it stay undone
     * @throws dev.tidemark.error.LockContentionException if the lock stays held by another run
     */
    MigrateResult undo(MigrationVersion to, boolean dryRun);

    /**
     * Flyway's {@code repair}: removes the history records of failed migrations (after an operator cleaned up what
     * they left) and, when asked, realigns the recorded checksums of applied migrations with their files.
     *
     * @param realignChecksums whether drifted checksums are rewritten to the files' checksums
     * @return what was removed and realigned
     * @throws dev.tidemark.error.LockContentionException if the lock stays held by another run
     */
    RepairResult repair(boolean realignChecksums);

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

    /** @return the backfill migrations this engine's store runs ({@link Backfills#NONE} where it has none) */
    default Backfills backfills() {
        return Backfills.NONE;
    }

    @Override
    void close();
}
