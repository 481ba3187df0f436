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
 */
public record MigrateResult(Store store, String target, String targetVersion, MigrationVersion versionBefore,
                            MigrationVersion versionAfter, List<AppliedStep> migrations, Status status, long executionTimeMs) {

    /** Outcome of a migrate call. */
    public enum Status {
        /** At least one migration was applied. */
        MIGRATED,
        /** At least one version was undone. */
        UNDONE,
        /** Nothing was pending up to the target version (or, for an undo, nothing was above it). */
        UP_TO_DATE,
        /** Nothing was changed; {@code migrations} lists what would run. */
        DRY_RUN
    }

    /** Canonical constructor: copies the list. */
    public MigrateResult {
        migrations = List.copyOf(migrations);
    }
}
