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
 * @param dataLoss the contract migrations ({@link dev.tidemark.migration.Phase#CONTRACT}) this rollback undid (or, in a dry
 *                 run, would undo), as {@code <target>: <file>}: their undo brings back the schema they removed, not the
 *                 data; empty for a rollback between the expand and contract phases, which undoes expand migrations only
 */
public record RollbackReport(boolean dryRun, String failure, List<MigrateResult> results, String summary, List<String> dataLoss) {

    /** Canonical constructor: copies the lists. */
    public RollbackReport {
        results = List.copyOf(results);
        dataLoss = List.copyOf(dataLoss);
    }
}
