package dev.tidemark.rollback;

import dev.tidemark.config.TargetConfig;
import dev.tidemark.migration.MigrationVersion;

/**
 * One target of a rollback.
 *
 * @param target the target's configuration (with the event's location, when it gives one)
 * @param to the version the target is at afterwards, or {@code null} for none (every version undone)
 */
public record RollbackTarget(TargetConfig target, MigrationVersion to) {
}
