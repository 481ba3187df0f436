package dev.tidemark.upgrade;

import dev.tidemark.migration.MigrateResult;
import dev.tidemark.migration.RepairResult;

import java.util.List;

/**
 * The upgrade function's result: one {@link MigrateResult} per target for a migrate, one {@link RepairResult} per
 * target for a repair, in request order.
 *
 * @param dryRun whether this was a dry run
 * @param results per-target migrate results (empty for a repair)
 * @param repairs per-target repair results (empty for a migrate)
 */
public record UpgradeReport(boolean dryRun, List<MigrateResult> results, List<RepairResult> repairs) {

    /** Canonical constructor: copies the lists. */
    public UpgradeReport {
        results = List.copyOf(results);
        repairs = List.copyOf(repairs);
    }
}
