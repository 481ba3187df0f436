package dev.tidemark.upgrade;

import dev.tidemark.error.ValidationException;
import dev.tidemark.migration.AppliedStep;
import dev.tidemark.migration.BackfillProgress;
import dev.tidemark.migration.Backfills;
import dev.tidemark.migration.InfoResult;
import dev.tidemark.migration.MigrateResult;
import dev.tidemark.migration.MigrationEngine;
import dev.tidemark.migration.MigrationScript;
import dev.tidemark.migration.Phase;
import dev.tidemark.migration.PhaseResult;
import dev.tidemark.migration.TargetVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * What one migrate call runs on one target in a phase of an expand/contract rollout, and how: the pending migrations
 * of the phase in version order, the migrations between backfills applied by the engine, each backfill run in batches
 * ({@link Backfills}) and recorded only when its last batch is done.
 *
 * @param target the request's target
 * @param phase the phase asked
 * @param run the migrations this call runs, in version order
 * @param contractPending contract migrations pending up to the target version that this phase leaves for the next
 * @param backfills the engine's backfill runner
 * @param backfilled the versions among the pending ones that are backfills (their declarations read once)
 */
record RolloutPlan(UpgradeTarget target, UpgradeRequest.RolloutPhase phase, List<MigrationScript> run, List<MigrationScript> contractPending,
                   Backfills backfills, java.util.Set<dev.tidemark.migration.MigrationVersion> backfilled) {

    /**
     * @param target the request's target
     * @param phase the phase asked
     * @param pending the pending migrations up to the target version, in version order
     * @param backfills the engine's backfill runner (its declarations are checked here, before anything runs)
     * @return the plan
     * @throws ValidationException for {@code contract} while an expand migration is pending before the first contract one
     */
    static RolloutPlan of(UpgradeTarget target, UpgradeRequest.RolloutPhase phase, List<MigrationScript> pending, Backfills backfills) {
        int firstContract = 0;
        while (firstContract < pending.size() && Phase.of(pending.get(firstContract)) == Phase.EXPAND) {
            firstContract++;
        }
        java.util.Set<dev.tidemark.migration.MigrationVersion> backfilled = pending.stream().filter(backfills::declares)
            .map(MigrationScript::version).collect(java.util.stream.Collectors.toSet());
        return switch (phase) {
            case ALL -> new RolloutPlan(target, phase, pending, List.of(), backfills, backfilled);
            case EXPAND -> new RolloutPlan(target, phase, pending.subList(0, firstContract),
                pending.subList(firstContract, pending.size()).stream().filter(s -> Phase.of(s) == Phase.CONTRACT).toList(), backfills, backfilled);
            case CONTRACT -> {
                if (firstContract > 0) {
                    throw new ValidationException("phase: contract: " + target.store().id() + " target '" + target.name() + "' has expand migrations"
                        + " pending (" + String.join(", ", pending.subList(0, firstContract).stream().map(MigrationScript::script).toList())
                        + "); run the expand phase and deploy the application first; nothing ran");
                }
                yield new RolloutPlan(target, phase, pending, List.of(), backfills, backfilled);
            }
        };
    }

    /**
     * Runs the plan: the engine applies the migrations up to each backfill, the backfill runs its batches until it is done
     * or {@code outOfTime}, its version is then recorded, and so on to the end.
     *
     * @param engine the target's engine
     * @param before the target's state before the call
     * @param dryRun when true nothing changes: the result lists every statement, a backfill's declaration included
     * @param outOfTime whether the invocation's time is spent
     * @return the result: {@code IN_PROGRESS} with the backfill's progress when one has batches left
     */
    MigrateResult execute(MigrationEngine engine, InfoResult before, boolean dryRun, BooleanSupplier outOfTime) {
        long start = System.nanoTime();
        if (run.isEmpty()) {
            return withPhase(engine.migrate(TargetVersion.CURRENT, dryRun), List.of(), false);
        }
        TargetVersion last = new TargetVersion(run.getLast().version(), null);
        if (dryRun) {
            MigrateResult r = engine.migrate(last, true);
            List<AppliedStep> steps = r.migrations().stream().map(step -> run.stream()
                .filter(s -> s.version().equals(step.version()) && backfilled.contains(s.version())).findFirst()
                .map(s -> new AppliedStep(step.version(), step.description(), step.script(), 0, List.of(s.content().strip())))
                .orElse(step)).toList();
            return withPhase(result(before, r, steps, MigrateResult.Status.DRY_RUN, start, null), List.of(), false);
        }
        List<AppliedStep> steps = new ArrayList<>();
        MigrateResult r = null;
        List<MigrationScript> ran = new ArrayList<>();
        for (int i = 0; i < run.size(); i++) {
            MigrationScript s = run.get(i);
            if (!backfilled.contains(s.version())) {
                continue;
            }
            if (i > 0 && (r == null || r.versionAfter() == null || r.versionAfter().compareTo(run.get(i - 1).version()) < 0)) {
                r = engine.migrate(new TargetVersion(run.get(i - 1).version(), null), false);
                steps.addAll(r.migrations());
            }
            BackfillProgress progress = backfills.run(s, outOfTime);
            if (!progress.finished()) {
                MigrateResult at = r != null ? r : engine.migrate(TargetVersion.CURRENT, false);
                ran.addAll(run.subList(0, i));
                return withPhase(result(before, at, steps, MigrateResult.Status.IN_PROGRESS, start, progress), ran, true);
            }
            r = engine.migrate(new TargetVersion(s.version(), null), false);
            steps.addAll(r.migrations());
            backfills.forget(s);
            r = result(before, r, steps, MigrateResult.Status.MIGRATED, start, progress);
        }
        BackfillProgress lastProgress = r == null ? null : r.backfill();
        if (r == null || r.versionAfter() == null || r.versionAfter().compareTo(last.version()) < 0) {
            r = engine.migrate(last, false);
            steps.addAll(r.migrations());
        }
        return withPhase(result(before, r, steps, steps.isEmpty() ? MigrateResult.Status.UP_TO_DATE : MigrateResult.Status.MIGRATED, start,
            lastProgress), run, false);
    }

    private MigrateResult result(InfoResult before, MigrateResult at, List<AppliedStep> steps, MigrateResult.Status status, long start,
                                 BackfillProgress progress) {
        return new MigrateResult(at.store(), target.name(), target.targetVersion().toString(), before.currentVersion(), at.versionAfter(), steps,
            status, (System.nanoTime() - start) / 1_000_000, null, progress);
    }

    /** Adds the phase's report, except for a rollout of phase {@code all} without contract migrations. */
    private MigrateResult withPhase(MigrateResult r, List<MigrationScript> ran, boolean inProgress) {
        List<String> irreversible = ran.stream().filter(s -> Phase.of(s) == Phase.CONTRACT).map(MigrationScript::script).toList();
        if (phase == UpgradeRequest.RolloutPhase.ALL && irreversible.isEmpty()) {
            return r;
        }
        boolean deploy = phase == UpgradeRequest.RolloutPhase.EXPAND && !inProgress && r.status() != MigrateResult.Status.DRY_RUN;
        return r.withPhase(new PhaseResult(phase.id(), deploy, contractPending.stream().map(MigrationScript::script).toList(), irreversible));
    }
}
