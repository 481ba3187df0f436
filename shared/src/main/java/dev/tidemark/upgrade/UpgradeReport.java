package dev.tidemark.upgrade;

import dev.tidemark.migration.MigrateResult;

import java.util.List;

/**
 * The upgrade function's result: one {@link MigrateResult} per target, in request order.
 *
 * @param dryRun whether this was a dry run
 * @param results per-target results
 */
public record UpgradeReport(boolean dryRun, List<MigrateResult> results) {

    /** Canonical constructor: copies the list. */
    public UpgradeReport {
        results = List.copyOf(results);
    }
}
