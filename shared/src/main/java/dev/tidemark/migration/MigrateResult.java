package dev.tidemark.migration;

import java.util.List;

/**
 * What one migrate call did on one target.
 *
 * @param store the store
 * @param target the target name
 * @param targetVersion what was asked: {@code latest}, {@code current} or a version
 * @param versionBefore the current version before, or {@code null}
 * @param versionAfter the current version after, or {@code null}; equal to before in a dry run
 * @param migrations the migrations run (or that would run, in a dry run), in order
 * @param status {@code MIGRATED}, {@code UP_TO_DATE} or {@code DRY_RUN}
 * @param executionTimeMs total time of the call in milliseconds
 */
public record MigrateResult(Store store, String target, String targetVersion, MigrationVersion versionBefore,
                            MigrationVersion versionAfter, List<AppliedStep> migrations, Status status, long executionTimeMs) {

    /** Outcome of a migrate call. */
    public enum Status {
        /** At least one migration was applied. */
        MIGRATED,
        /** Nothing was pending up to the target version. */
        UP_TO_DATE,
        /** Nothing was changed; {@code migrations} lists what would run. */
        DRY_RUN
    }

    /** Canonical constructor: copies the list. */
    public MigrateResult {
        migrations = List.copyOf(migrations);
    }
}
