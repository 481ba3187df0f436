package dev.tidemark.migration;

import java.util.List;

/**
 * The state of one target (Flyway's {@code info}).
 *
 * @param store the store
 * @param target the target name
 * @param currentVersion the highest successfully applied version, or {@code null} when none
 * @param applied the schema history, oldest first
 * @param pending migrations at the location above the current version and not recorded as failed, in order
 * @param failed history rows recorded as failed
 * @param drift applied migrations whose files changed
 */
public record InfoResult(Store store, String target, MigrationVersion currentVersion, List<AppliedMigration> applied,
                         List<PendingMigration> pending, List<AppliedMigration> failed, List<ChecksumDrift> drift) {

    /** Canonical constructor: copies the lists. */
    public InfoResult {
        applied = List.copyOf(applied);
        pending = List.copyOf(pending);
        failed = List.copyOf(failed);
        drift = List.copyOf(drift);
    }
}
