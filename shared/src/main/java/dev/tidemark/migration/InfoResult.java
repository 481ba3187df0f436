package dev.tidemark.migration;

import dev.tidemark.error.ChecksumMismatchException;
import dev.tidemark.error.ValidationException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The state of one target (Flyway's {@code info}).
 *
 * @param store the store
 * @param target the target name
 * @param currentVersion the highest applied version (not undone), or {@code null} when none
 * @param applied the schema history, oldest first, including undo markers ({@value #UNDONE_TYPE} records)
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

    /** History {@code type} of a record that marks a version as undone (Flyway's own marker for a deleted migration). */
    public static final String UNDONE_TYPE = "DELETE";

    /**
     * Derives a target's state from its schema history and the migrations at its location, by one rule for every
     * store. Records are read oldest first; the latest record of a version decides its state: a successful record
     * applies it, a record of type {@value #UNDONE_TYPE} (written by an undo or by cleaning up a failed migration)
     * makes it not applied again, and a record that did not succeed makes it failed unless its version is in
     * {@code running}. The current version is the highest applied one; an applied migration whose recorded checksum
     * differs from its file's (baselines excepted) has drifted; pending are the files above the current version that
     * are neither failed nor running.
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
        Map<MigrationVersion, AppliedMigration> latest = latestByVersion(rows);
        MigrationVersion current = null;
        List<AppliedMigration> failed = new ArrayList<>();
        List<ChecksumDrift> drift = new ArrayList<>();
        Set<MigrationVersion> notPending = new HashSet<>(running);
        for (AppliedMigration row : latest.values()) {
            if (!row.success()) {
                if (!running.contains(row.version())) {
                    failed.add(row);
                    notPending.add(row.version());
                }
                continue;
            }
            current = row.version();
            MigrationScript file = byVersion.get(row.version());
            if (file != null && row.checksum() != null && !"BASELINE".equals(row.type()) && row.checksum() != file.checksum()) {
                drift.add(new ChecksumDrift(row.version(), file.script(), row.checksum(), file.checksum()));
            }
        }
        failed.sort(java.util.Comparator.comparingInt(AppliedMigration::installedRank));
        MigrationVersion cur = current;
        List<PendingMigration> pending = scripts.stream()
            .filter(s -> cur == null || s.version().compareTo(cur) > 0)
            .filter(s -> !notPending.contains(s.version()))
            .map(PendingMigration::of)
            .toList();
        return new InfoResult(store, target, current, rows, pending, failed, drift);
    }

    /**
     * @return the versions applied now (latest record successful and not undone), oldest first, with their records
     */
    public List<AppliedMigration> appliedNow() {
        return latestByVersion(applied).values().stream().filter(AppliedMigration::success).toList();
    }

    private static Map<MigrationVersion, AppliedMigration> latestByVersion(List<AppliedMigration> rows) {
        Map<MigrationVersion, AppliedMigration> latest = new TreeMap<>();
        for (AppliedMigration row : rows) {
            if (row.version() == null) {
                continue;
            }
            if (UNDONE_TYPE.equals(row.type()) && row.success()) {
                latest.remove(row.version());
            } else {
                latest.put(row.version(), row);
            }
        }
        return latest;
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
