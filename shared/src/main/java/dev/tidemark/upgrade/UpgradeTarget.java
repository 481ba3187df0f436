package dev.tidemark.upgrade;

import dev.tidemark.migration.Store;
import dev.tidemark.migration.TargetVersion;

/**
 * One target of an upgrade event.
 *
 * @param store the store the event expects the target to be
 * @param name the configured target name
 * @param targetVersion where to migrate to
 * @param location a location overriding the configured one for this call (e.g. a release's S3 prefix), or
 *                 {@code null}; only {@code filesystem:}, {@code classpath:} and {@code s3://} are accepted
 */
public record UpgradeTarget(Store store, String name, TargetVersion targetVersion, String location) {
}
