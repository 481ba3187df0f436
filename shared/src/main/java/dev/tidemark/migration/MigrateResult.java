package dev.tidemark.migration;

import java.util.List;

/**
 * What one migrate or undo call did on one target.
 *
 * @param store the store
 * @param target the target name
 * @param targetVersion what was asked: {@code latest}, {@code current} or a version (for an undo: the version the
 *                      target is at afterwards, {@code 0} for none)
 * @param versionBefore the current version before, or {@code null}
 * @param versionAfter the current version after, or {@code null}; equal to before in a dry run
 * @param migrations the migrations run (or that would run, in a dry run), in order; for an undo the undo scripts,
 *                   newest version first
 * @param status {@code MIGRATED}, {@code UNDONE}, {@code UP_TO_DATE} or {@code DRY_RUN}
 * @param executionTimeMs total time of the call in milliseconds
 * @param phase for a migrate in a phased rollout: what the phase did and what comes next; else {@code null}
 * @param backfill for a call that ran batches of a backfill migration: its progress; else {@code null}
 */
public record MigrateResult(Store store, String target, String targetVersion, MigrationVersion versionBefore,
                            MigrationVersion versionAfter, List<AppliedStep> migrations, Status status, long executionTimeMs,
                            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                            PhaseResult phase,
                            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                            BackfillProgress backfill) {

    /** Outcome of a migrate call. */
    public enum Status {
        /** At least one migration was applied. */
        MIGRATED,
        /** At least one version was undone. */
        UNDONE,
        /** Nothing was pending up to the target version (or, for an undo, nothing was above it). */
        UP_TO_DATE,
        /** Nothing was changed; {@code migrations} lists what would run. */
        DRY_RUN,
        /**
         * A backfill migration has batches left: the call spent its time budget, {@code backfill} says how far it got,
         * and the same call again resumes from the last committed batch. The backfill's version is not yet recorded.
         */
        IN_PROGRESS
    }

    /** Canonical constructor: copies the list. */
    public MigrateResult {
        migrations = List.copyOf(migrations);
    }

    /** A result without phase or backfill (an undo, or a migrate outside a phased rollout). */
    public MigrateResult(Store store, String target, String targetVersion, MigrationVersion versionBefore, MigrationVersion versionAfter,
                         List<AppliedStep> migrations, Status status, long executionTimeMs) {
        this(store, target, targetVersion, versionBefore, versionAfter, migrations, status, executionTimeMs, null, null);
    }

    /**
     * The result of a migrate call that applied {@code earlier} first (backfills run to their end on the way) and then
     * this result's migrations.
     *
     * @param earlier the migrations applied first, in order
     * @param before the version before all of them
     * @param executionTimeMs the whole call's time in milliseconds
     * @return the call's result
     */
    public MigrateResult after(List<AppliedStep> earlier, MigrationVersion before, long executionTimeMs) {
        List<AppliedStep> all = new java.util.ArrayList<>(earlier);
        all.addAll(migrations);
        return new MigrateResult(store, target, targetVersion, before, versionAfter, all, all.isEmpty() ? status : Status.MIGRATED, executionTimeMs,
            phase, backfill);
    }

    /**
     * @param p the phase's report
     * @return this result with it
     */
    public MigrateResult withPhase(PhaseResult p) {
        return new MigrateResult(store, target, targetVersion, versionBefore, versionAfter, migrations, status, executionTimeMs, p, backfill);
    }
}
