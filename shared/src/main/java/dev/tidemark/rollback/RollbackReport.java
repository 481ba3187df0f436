package dev.tidemark.rollback;

import dev.tidemark.migration.MigrateResult;

import java.util.List;

/**
 * The rollback function's result.
 *
 * @param dryRun whether this was a dry run
 * @param failure the failure that caused the rollback (from the event), or {@code null}
 * @param results per-target undo results, in event order ({@code UNDONE}, {@code UP_TO_DATE} or {@code DRY_RUN})
 * @param summary one line for people and for a Fail state's cause: the failure, then per target what was rolled back
 */
public record RollbackReport(boolean dryRun, String failure, List<MigrateResult> results, String summary) {

    /** Canonical constructor: copies the list. */
    public RollbackReport {
        results = List.copyOf(results);
    }
}
