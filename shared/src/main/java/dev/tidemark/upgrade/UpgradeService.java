package dev.tidemark.upgrade;

import dev.tidemark.config.TargetConfig;
import dev.tidemark.engine.EngineFactory;
import dev.tidemark.lint.Finding;
import dev.tidemark.lint.LintReport;
import dev.tidemark.lint.Linter;
import dev.tidemark.migration.InfoResult;
import dev.tidemark.migration.MigrateResult;
import dev.tidemark.migration.MigrationEngine;
import dev.tidemark.migration.MigrationVersion;
import dev.tidemark.migration.MigrationScript;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs an {@link UpgradeRequest}: lints and migrates each target in order. The lint runs on the migrations about to
 * run (and on drift of applied ones); an error-level finding without approval stops the call with
 * {@link dev.tidemark.error.LintFailedException} before that target changes. The first failure stops the call and propagates
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
        return upgrade(request, () -> false);
    }

    /**
     * @param request a validated request
     * @param outOfTime whether the invocation's time is spent: asked between the batches of a backfill migration, which
     *                  then answers {@link MigrateResult.Status#IN_PROGRESS} (call again to resume)
     * @return per-target results
     */
    public UpgradeReport upgrade(UpgradeRequest request, java.util.function.BooleanSupplier outOfTime) {
        List<MigrateResult> results = new ArrayList<>();
        List<dev.tidemark.migration.RepairResult> repairs = new ArrayList<>();
        Map<String, List<Finding>> findings = new LinkedHashMap<>();
        // every target's migrations are read and its target version checked before any target changes
        List<TargetConfig> configs = new ArrayList<>();
        List<EngineFactory.Migrations> read = new ArrayList<>();
        for (int i = 0; i < request.targets().size(); i++) {
            UpgradeTarget t = request.targets().get(i);
            TargetConfig config = engines.config().target(t.name()).orElseThrow().withLocation(t.location());
            EngineFactory.Migrations migrations = engines.migrations(config);
            MigrationVersion wanted = t.targetVersion().version();
            MigrationVersion latest = migrations.versioned().isEmpty() ? null : migrations.versioned().getLast().version();
            if (request.operation() == UpgradeRequest.Operation.MIGRATE && wanted != null && (latest == null || wanted.compareTo(latest) > 0)) {
                throw new dev.tidemark.error.ValidationException("targets[" + i + "].targetVersion: " + wanted + " is above the latest migration ("
                    + (latest == null ? "none" : latest) + ") in the target's location; nothing ran");
            }
            configs.add(config);
            read.add(migrations);
        }
        for (int i = 0; i < request.targets().size(); i++) {
            UpgradeTarget t = request.targets().get(i);
            TargetConfig config = configs.get(i);
            EngineFactory.Migrations migrations = read.get(i);
            try (MigrationEngine engine = engines.open(config, migrations)) {
                if (request.operation() == UpgradeRequest.Operation.REPAIR) {
                    repairs.add(engine.repair(request.realignChecksums()));
                } else {
                    InfoResult info = engine.info();
                    List<MigrationScript> pending = info.pending().stream().filter(p -> t.targetVersion().includes(p.version(), info.currentVersion()))
                        .map(p -> migrations.versioned().stream().filter(s -> s.version().equals(p.version())).findFirst().orElseThrow()).toList();
                    LintReport lint = Linter.withPhaseOrder(Linter.lint(config.store(), migrations.versioned(), migrations.undo(), info.drift(),
                        migrations.erasurePlan(), dev.tidemark.lint.LintApprovals.parse(migrations.lintApprovals())), pending);
                    RolloutPlan plan = RolloutPlan.of(t, request.phase(), pending, engine.backfills());
                    List<MigrationVersion> about = plan.run().stream().map(MigrationScript::version).toList();
                    lint.requireNoBlocking(t.name(), about);
                    findings.put(t.name(), lint.about(about));
                    results.add(plan.execute(engine, info, request.dryRun(), outOfTime));
                }
            }
        }
        return new UpgradeReport(request.dryRun(), results, repairs, findings);
    }
}
