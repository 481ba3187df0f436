package dev.tidemark.upgrade;

import dev.tidemark.migration.Store;
import dev.tidemark.migration.TargetVersion;

/**
 * One target of an upgrade event.
 *
 * @param store the store the event expects the target to be
 * @param name the configured target name
 * @param targetVersion where to migrate to
 */
public record UpgradeTarget(Store store, String name, TargetVersion targetVersion) {
}
