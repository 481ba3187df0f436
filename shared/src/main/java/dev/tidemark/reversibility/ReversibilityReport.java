package dev.tidemark.reversibility;

import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Store;

import java.util.List;

/**
 * The result of the reversibility check on one store's migration set.
 *
 * @param store the store
 * @param versions per version, oldest first
 * @param firstIrreversible the first version (walking down from the newest) whose undo did not restore the schema the
 *                          version below left, or that has no undo or whose undo failed; {@code null} when every undo
 *                          restored it
 * @param reapplied whether migrating again after the undos gave the same schema as the first migration
 * @param reapplyDifferences differences between the schema after the re-migration and after the first one
 * @param executionTimeMs total time in milliseconds
 */
public record ReversibilityReport(Store store, List<VersionCheck> versions, MigrationVersion firstIrreversible, boolean reapplied,
                                  List<String> reapplyDifferences, long executionTimeMs) {

    /** Canonical constructor: copies the lists. */
    public ReversibilityReport {
        versions = List.copyOf(versions);
        reapplyDifferences = List.copyOf(reapplyDifferences);
    }

    /** @return whether every undo restored the schema and the re-migration gave the same schema */
    public boolean reversible() {
        return firstIrreversible == null && reapplied;
    }

    /**
     * The check of one version.
     *
     * @param version the version
     * @param script the versioned migration
     * @param undoScript its undo migration, or {@code null}
     * @param outcome {@code RESTORED}, {@code NOT_RESTORED}, {@code NO_UNDO}, {@code EMPTY_UNDO} (the version changes the
     *                schema and its undo runs nothing), {@code UNDO_FAILED}, {@code MIGRATE_FAILED}, or {@code NOT_CHECKED}
     *                (the scratch target could not be rebuilt below a version that was not undone cleanly; {@code error}
     *                says why)
     * @param differences for {@code NOT_RESTORED}: how the schema after the undo differs from the one before the
     *                    version ({@code +} extra, {@code -} missing, {@code ~} changed); for {@code EMPTY_UNDO}: what the
     *                    version changed
     * @param error the error of a failed migrate or undo, or {@code null}
     * @param dataLoss PostgreSQL: what the forward migration's catalog diff loses ({@link SchemaDataLoss}, rules
     *                 {@code SC001}-{@code SC004}, with their approvals); empty elsewhere
     */
    public record VersionCheck(MigrationVersion version, String script, String undoScript, String outcome, List<String> differences,
                               String error, List<dev.tidemark.lint.Finding> dataLoss) {

        /** Canonical constructor: copies the lists. */
        public VersionCheck {
            differences = List.copyOf(differences);
            dataLoss = List.copyOf(dataLoss);
        }

        /** @param findings the version's data-loss findings @return this check with them */
        public VersionCheck withDataLoss(List<dev.tidemark.lint.Finding> findings) {
            return new VersionCheck(version, script, undoScript, outcome, differences, error, findings);
        }
    }

    /** @return the data-loss findings that carry no approval, in version order */
    public List<dev.tidemark.lint.Finding> blockingDataLoss() {
        return versions.stream().flatMap(v -> v.dataLoss().stream()).filter(dev.tidemark.lint.Finding::blocking).toList();
    }
}
