package dev.tidemark.migration;

import java.util.List;

/**
 * What a repair did on one target (Flyway's {@code repair}).
 *
 * @param store the store
 * @param target the target name
 * @param removedFailed the failed history records removed, oldest first
 * @param realigned the applied migrations whose recorded checksum was set to their file's (empty unless asked)
 */
public record RepairResult(Store store, String target, List<AppliedMigration> removedFailed, List<ChecksumDrift> realigned) {

    /** Canonical constructor: copies the lists. */
    public RepairResult {
        removedFailed = List.copyOf(removedFailed);
        realigned = List.copyOf(realigned);
    }
}
