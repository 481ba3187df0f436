package dev.tidemark.migration;

import java.util.function.BooleanSupplier;

/**
 * The backfill migrations of one target: data changes run in key-ordered batches, committed batch by batch, that may
 * take more than one invocation. A backfill's version is recorded in the schema history only after its last batch.
 */
public interface Backfills {

    /** A store without backfills: no file is one. */
    Backfills NONE = new Backfills() {
        @Override
        public boolean declares(MigrationScript script) {
            return false;
        }

        @Override
        public BackfillProgress run(MigrationScript script, BooleanSupplier outOfTime) {
            throw new IllegalStateException(script.script() + " is not a backfill");
        }

        @Override
        public boolean finished(MigrationScript script) {
            return false;
        }

        @Override
        public void forget(MigrationScript script) {
        }
    };

    /**
     * @param script a versioned migration
     * @return whether it is a backfill migration
     * @throws dev.tidemark.error.ValidationException naming the file and field when its declaration is malformed
     */
    boolean declares(MigrationScript script);

    /**
     * Runs batches from the last committed one until the backfill is finished or {@code outOfTime} says so (checked
     * between batches).
     *
     * @param script a backfill migration
     * @param outOfTime whether the invocation's time is spent
     * @return the progress
     */
    BackfillProgress run(MigrationScript script, BooleanSupplier outOfTime);

    /**
     * @param script a backfill migration
     * @return whether its last batch is done (its progress says so) and only its version is left to record
     */
    boolean finished(MigrationScript script);

    /**
     * Runs to their end the backfills among the pending migrations up to {@code target} whose last batch is not done,
     * each after the migrations before it, records its version and forgets its progress: what an engine does before it
     * applies the rest, so that no backfill's version is ever recorded with batches left, whoever calls the engine. (A
     * rollout runs them first, in time-bounded calls, and they are finished when the engine gets there.)
     *
     * @param engine the engine
     * @param scripts its versioned migrations
     * @param before its state
     * @param target where the migrate call stops
     * @return the migrations applied on the way (in order, the backfills included), or {@code null} when no backfill
     *         needed to run
     */
    static java.util.List<AppliedStep> completeBefore(MigrationEngine engine, java.util.List<MigrationScript> scripts, InfoResult before, TargetVersion target) {
        Backfills backfills = engine.backfills();
        if (backfills == NONE) {
            return null;
        }
        java.util.List<AppliedStep> applied = null;
        MigrationVersion previous = null;
        for (PendingMigration p : before.pending()) {
            if (!target.includes(p.version(), before.currentVersion())) {
                break;
            }
            MigrationScript s = scripts.stream().filter(x -> x.version().equals(p.version())).findFirst().orElseThrow();
            if (backfills.declares(s) && !backfills.finished(s)) {
                applied = applied == null ? new java.util.ArrayList<>() : applied;
                if (previous != null) {
                    applied.addAll(engine.migrate(new TargetVersion(previous, null), false).migrations());
                }
                if (!backfills.run(s, () -> false).finished()) {
                    throw new IllegalStateException(s.script() + ": a backfill given unlimited time returned unfinished");
                }
                applied.addAll(engine.migrate(new TargetVersion(s.version(), null), false).migrations());
                backfills.forget(s);
            }
            previous = p.version();
        }
        return applied;
    }

    /**
     * Drops the progress of a backfill once its version is recorded in the schema history.
     *
     * @param script a backfill migration
     */
    void forget(MigrationScript script);
}
