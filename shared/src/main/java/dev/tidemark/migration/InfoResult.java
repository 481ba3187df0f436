package dev.tidemark.migration;

import dev.tidemark.error.ChecksumMismatchException;
import dev.tidemark.error.ValidationException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

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

    /**
     * Derives a target's state from its schema history and the migrations at its location, by one rule for every
     * store: the current version is the highest successful one; a record that did not succeed is failed unless its
     * version is in {@code running}; an applied migration whose recorded checksum differs from its file's (baselines
     * excepted) has drifted; pending are the files above the current version that are neither failed nor running.
     *
     * @param store the store
     * @param target the target name
     * @param scripts the migrations at the location
     * @param rows the schema history, oldest first
     * @param running versions a live run is applying right now (their records are neither failed nor pending)
     * @return the state
     */
    public static InfoResult of(Store store, String target, List<MigrationScript> scripts, List<AppliedMigration> rows,
                                Set<MigrationVersion> running) {
        Map<MigrationVersion, MigrationScript> byVersion = scripts.stream()
            .collect(Collectors.toMap(MigrationScript::version, Function.identity()));
        MigrationVersion current = null;
        List<AppliedMigration> failed = new ArrayList<>();
        List<ChecksumDrift> drift = new ArrayList<>();
        Set<MigrationVersion> notPending = new HashSet<>(running);
        for (AppliedMigration row : rows) {
            if (!row.success()) {
                if (!running.contains(row.version())) {
                    failed.add(row);
                    notPending.add(row.version());
                }
                continue;
            }
            if (row.version() != null && (current == null || row.version().compareTo(current) > 0)) {
                current = row.version();
            }
            MigrationScript file = row.version() == null ? null : byVersion.get(row.version());
            if (file != null && row.checksum() != null && !"BASELINE".equals(row.type()) && row.checksum() != file.checksum()) {
                drift.add(new ChecksumDrift(row.version(), file.script(), row.checksum(), file.checksum()));
            }
        }
        MigrationVersion cur = current;
        List<PendingMigration> pending = scripts.stream()
            .filter(s -> cur == null || s.version().compareTo(cur) > 0)
            .filter(s -> !notPending.contains(s.version()))
            .map(PendingMigration::of)
            .toList();
        return new InfoResult(store, target, current, rows, pending, failed, drift);
    }

    /** @throws ChecksumMismatchException naming each drifted file with its recorded and found checksums */
    public void requireNoDrift() {
        if (!drift.isEmpty()) {
            throw new ChecksumMismatchException(target, drift.stream().map(ChecksumDrift::describe).toList());
        }
    }

    /**
     * @param targetVersion where a migrate call should stop
     * @throws ValidationException naming {@code targetVersion} when it is below the current version
     */
    public void requireNotBelowCurrent(TargetVersion targetVersion) {
        if (targetVersion.version() != null && currentVersion != null && targetVersion.version().compareTo(currentVersion) < 0) {
            throw new ValidationException("targetVersion: " + targetVersion + " is below the current version " + currentVersion
                + " of target '" + target + "'; use rollback to go back");
        }
    }
}
