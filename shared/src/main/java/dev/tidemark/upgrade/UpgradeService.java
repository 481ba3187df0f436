package dev.tidemark.upgrade;

import dev.tidemark.engine.EngineFactory;
import dev.tidemark.migration.MigrateResult;
import dev.tidemark.migration.MigrationEngine;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs an {@link UpgradeRequest}: migrates each target in order. The first failure stops the call and propagates
 * (targets before it keep their new version, which the result of the failing call does not list; the rollout state
 * machine upgrades one target per invocation).
 */
public final class UpgradeService {

    private final EngineFactory engines;

    /** @param engines opens target engines */
    public UpgradeService(EngineFactory engines) {
        this.engines = engines;
    }

    /**
     * @param request a validated request
     * @return per-target results
     */
    public UpgradeReport upgrade(UpgradeRequest request) {
        List<MigrateResult> results = new ArrayList<>();
        List<dev.tidemark.migration.RepairResult> repairs = new ArrayList<>();
        for (UpgradeTarget t : request.targets()) {
            var configured = engines.config().target(t.name()).orElseThrow();
            var config = t.location() == null ? configured
                : new dev.tidemark.config.TargetConfig(configured.name(), configured.store(), configured.secretId(), t.location(), configured.database());
            try (MigrationEngine engine = engines.open(config)) {
                if (request.operation() == UpgradeRequest.Operation.REPAIR) {
                    repairs.add(engine.repair(request.realignChecksums()));
                } else {
                    results.add(engine.migrate(t.targetVersion(), request.dryRun()));
                }
            }
        }
        return new UpgradeReport(request.dryRun(), results, repairs);
    }
}
