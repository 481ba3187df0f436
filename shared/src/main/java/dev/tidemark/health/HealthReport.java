package dev.tidemark.health;

import java.time.Instant;
import java.util.List;

/**
 * The health-check function's result.
 *
 * @param status the worst status of all targets
 * @param checkedAt when the check ran
 * @param targets per-target health, in configuration order
 */
public record HealthReport(HealthStatus status, Instant checkedAt, List<TargetHealth> targets) {

    /** Canonical constructor: copies the list. */
    public HealthReport {
        targets = List.copyOf(targets);
    }
}
