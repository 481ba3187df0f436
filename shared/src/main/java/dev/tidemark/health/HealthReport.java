package dev.tidemark.health;

import java.time.Instant;
import java.util.List;

/**
 * The health-check function's result.
 *
 * @param status the worst status of all targets
 * @param summary one line naming every target that is not healthy and why, e.g.
 *                {@code app-docs (mongodb) unhealthy: 1 failed migration (6 V6__x.json)}; {@code all healthy} otherwise
 * @param checkedAt when the check ran
 * @param targets per-target health, in configuration order
 */
public record HealthReport(HealthStatus status, String summary, Instant checkedAt, List<TargetHealth> targets) {

    /** Canonical constructor: copies the list. */
    public HealthReport {
        targets = List.copyOf(targets);
    }

    /**
     * @param checkedAt when the check ran
     * @param targets per-target health
     * @return the report with its overall status and summary
     */
    public static HealthReport of(Instant checkedAt, List<TargetHealth> targets) {
        HealthStatus overall = HealthStatus.HEALTHY;
        List<String> problems = new java.util.ArrayList<>();
        for (TargetHealth t : targets) {
            overall = overall.worst(t.status());
            if (t.status() != HealthStatus.HEALTHY) {
                problems.add(t.name() + " (" + t.store() + ") " + t.status().id() + ": " + String.join(", ", t.reasons()));
            }
        }
        return new HealthReport(overall, problems.isEmpty() ? "all healthy" : String.join("; ", problems), checkedAt, targets);
    }
}
