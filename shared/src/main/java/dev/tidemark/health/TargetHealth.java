package dev.tidemark.health;

import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.Store;

import java.util.List;
import java.util.Map;

/**
 * Health of one target.
 *
 * @param name target name
 * @param store store
 * @param status healthy, degraded or unhealthy
 * @param reachable whether the server answered
 * @param latencyMs round-trip time of one ping, in milliseconds; {@code null} when unreachable
 * @param currentVersion highest applied version, or {@code null}
 * @param pending number of pending migrations
 * @param failed number of failed history records
 * @param checksumDrift applied migrations whose files changed, as {@code script: recorded checksum X, found Y}
 * @param clusterStatus Elasticsearch cluster status ({@code green}/{@code yellow}/{@code red}), else {@code null}
 * @param indices Elasticsearch index name to health, non-system indices only; else {@code null}
 * @param error why it is unreachable or could not be checked, else {@code null}
 * @param reasons why the status is not healthy, e.g. {@code 2 pending}, {@code failed 6 (V6__x.json)}; empty when healthy
 * @param erasureCoverage the erasure plan's coverage findings, or {@code null} when not checked
 * @param betweenPhases when the target sits between the expand and contract phases of a rollout (its first pending
 *                      migration is a contract one): since when and what the contract phase will run; else {@code null}
 */
public record TargetHealth(String name, Store store, HealthStatus status, boolean reachable, Long latencyMs,
                           @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.ALWAYS)
                           MigrationVersion currentVersion, int pending, int failed, List<String> checksumDrift,
                           String clusterStatus, Map<String, String> indices, String error, List<String> reasons,
                           List<String> erasureCoverage,
                           @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                           BetweenPhases betweenPhases) {

    /**
     * A target whose expand phase is applied and whose contract phase is not.
     *
     * @param since when the last migration was applied (the end of the expand phase), or {@code null} when unknown
     * @param contractPending the pending contract migrations, as file names, in order
     */
    public record BetweenPhases(java.time.Instant since, List<String> contractPending) {
        /** Canonical constructor: copies the list. */
        public BetweenPhases {
            contractPending = List.copyOf(contractPending);
        }
    }

    /** Canonical constructor: copies the lists. */
    public TargetHealth {
        checksumDrift = List.copyOf(checksumDrift);
        reasons = List.copyOf(reasons);
        erasureCoverage = erasureCoverage == null ? null : List.copyOf(erasureCoverage);
    }
}
