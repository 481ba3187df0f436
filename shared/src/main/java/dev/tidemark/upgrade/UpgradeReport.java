package dev.tidemark.upgrade;

import dev.tidemark.migration.MigrateResult;
import dev.tidemark.migration.RepairResult;

import dev.tidemark.lint.Finding;

import java.util.List;
import java.util.Map;

/**
 * The upgrade function's result: one {@link MigrateResult} per target for a migrate, one {@link RepairResult} per
 * target for a repair, in request order.
 *
 * @param dryRun whether this was a dry run
 * @param results per-target migrate results (empty for a repair)
 * @param repairs per-target repair results (empty for a migrate)
 * @param lint per target name, the lint findings in the migrations that ran (or would run): warnings, infos and
 *             approved errors (unapproved errors stop the call)
 */
public record UpgradeReport(boolean dryRun, List<MigrateResult> results, List<RepairResult> repairs, Map<String, List<Finding>> lint) {

    /** Canonical constructor: copies the lists. */
    public UpgradeReport {
        results = List.copyOf(results);
        repairs = List.copyOf(repairs);
        lint = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(lint));
    }
}
