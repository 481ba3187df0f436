package dev.tidemark.health;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.config.TargetConfig;
import dev.tidemark.elastic.ElasticEngine;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.error.TidemarkException;
import dev.tidemark.migration.ChecksumDrift;
import dev.tidemark.migration.InfoResult;
import dev.tidemark.migration.MigrationEngine;
import dev.tidemark.migration.Store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks every configured target: reachability and round-trip latency, current version, pending and failed
 * migrations, checksum drift, for Elasticsearch the cluster status and each index's health, and the erasure plan's
 * coverage check ({@link dev.tidemark.erasure.ErasureCoverage}; a finding or an invalid plan makes the target degraded). A target that cannot
 * be checked is reported unhealthy with the reason; the check itself does not throw for it.
 */
public final class HealthChecker {

    private final EngineFactory engines;
    private final dev.tidemark.erasure.ErasureService erasure;

    /** @param engines opens target engines */
    public HealthChecker(EngineFactory engines) {
        this.erasure = new dev.tidemark.erasure.ErasureService(engines, () -> new byte[0], 1000, java.time.Duration.ofSeconds(30));
        this.engines = engines;
    }

    /**
     * @param names target names to check; empty for all configured targets
     * @return the report
     */
    public HealthReport check(List<String> names) {
        List<TargetHealth> results = new ArrayList<>();
        for (TargetConfig t : engines.config().targets()) {
            if (!names.isEmpty() && !names.contains(t.name())) {
                continue;
            }
            results.add(check(t));
        }
        return HealthReport.of(Instant.now(), results);
    }

    private TargetHealth check(TargetConfig t) {
        EngineFactory.Migrations migrations;
        try {
            migrations = engines.migrations(t);
        } catch (TidemarkException e) {
            return new TargetHealth(t.name(), t.store(), HealthStatus.UNHEALTHY, false, null, null, 0, 0, List.of(), null, null,
                e.code() + ": " + e.getMessage(), List.of("unreachable: " + e.code()), null, null);
        }
        try (MigrationEngine engine = engines.open(t, migrations)) {
            long start = System.nanoTime();
            engine.ping();
            long latency = (System.nanoTime() - start) / 1_000_000;
            InfoResult info = engine.info();
            String cluster = null;
            List<String> reasons = new ArrayList<>();
            Map<String, String> indices = null;
            HealthStatus status = HealthStatus.HEALTHY;
            if (t.store() == Store.ELASTICSEARCH && engine instanceof ElasticEngine es) {
                JsonNode body = es.client().send("GET", "/_cluster/health?level=indices", null).body();
                cluster = body.path("status").asText("red");
                indices = new TreeMap<>();
                for (var it = body.path("indices").fields(); it.hasNext(); ) {
                    var e = it.next();
                    if (!e.getKey().startsWith(".")) {
                        indices.put(e.getKey(), e.getValue().path("status").asText());
                    }
                }
                if ("red".equals(cluster)) {
                    status = HealthStatus.UNHEALTHY;
                    reasons.add("cluster red");
                } else if ("yellow".equals(cluster)) {
                    status = HealthStatus.DEGRADED;
                    reasons.add("cluster yellow");
                }
            }
            if (!info.pending().isEmpty()) {
                status = status.worst(HealthStatus.DEGRADED);
                reasons.add(info.pending().size() + " pending");
            }
            for (var f : info.failed()) {
                status = HealthStatus.UNHEALTHY;
                reasons.add("failed migration " + f.version() + " (" + f.script() + ")");
            }
            for (var d : info.drift()) {
                status = HealthStatus.UNHEALTHY;
                reasons.add("checksum drift " + d.script());
            }
            TargetHealth.BetweenPhases between = betweenPhases(info, migrations.versioned());
            if (between != null) {
                reasons.add("between expand and contract since " + between.since() + ": " + between.contractPending().size() + " contract pending");
            }
            List<String> coverage = null;
            try {
                // a plan is written for the latest schema: checked once nothing is pending
                coverage = info.pending().isEmpty() ? erasure.coverage(t).orElse(null) : null;
                if (coverage != null && !coverage.isEmpty()) {
                    status = status.worst(HealthStatus.DEGRADED);
                    reasons.add("erasure coverage: " + coverage.size() + " finding(s)");
                }
            } catch (dev.tidemark.error.ValidationException e) {
                status = status.worst(HealthStatus.DEGRADED);
                reasons.add("erasure plan invalid: " + e.getMessage());
            }
            return new TargetHealth(t.name(), t.store(), status, true, latency, info.currentVersion(), info.pending().size(),
                info.failed().size(), info.drift().stream().map(ChecksumDrift::describe).toList(), cluster, indices, null, reasons, coverage, between);
        } catch (TidemarkException e) {
            return new TargetHealth(t.name(), t.store(), HealthStatus.UNHEALTHY, false, null, null, 0, 0, List.of(), null, null,
                e.code() + ": " + e.getMessage(), List.of("unreachable: " + e.code()), null, null);
        } catch (RuntimeException e) {
            return new TargetHealth(t.name(), t.store(), HealthStatus.UNHEALTHY, false, null, null, 0, 0, List.of(), null, null,
                e.getClass().getSimpleName(), List.of("unreachable"), null, null);
        }
    }

    /** @return the phase gap when the first pending migration is a contract one and something is applied, else {@code null} */
    private static TargetHealth.BetweenPhases betweenPhases(InfoResult info, List<dev.tidemark.migration.MigrationScript> versioned) {
        List<dev.tidemark.migration.MigrationScript> pending = info.pending().stream()
            .map(p -> versioned.stream().filter(s -> s.version().equals(p.version())).findFirst().orElse(null))
            .filter(java.util.Objects::nonNull).toList();
        if (pending.isEmpty() || info.appliedNow().isEmpty()
            || dev.tidemark.migration.Phase.of(pending.getFirst()) != dev.tidemark.migration.Phase.CONTRACT) {
            return null;
        }
        Instant since = info.appliedNow().stream().map(dev.tidemark.migration.AppliedMigration::installedOn).filter(java.util.Objects::nonNull)
            .max(Instant::compareTo).orElse(null);
        return new TargetHealth.BetweenPhases(since, pending.stream().filter(s -> dev.tidemark.migration.Phase.of(s)
            == dev.tidemark.migration.Phase.CONTRACT).map(dev.tidemark.migration.MigrationScript::script).toList());
    }
}
