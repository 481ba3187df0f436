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
     * Drops the progress of a backfill once its version is recorded in the schema history.
     *
     * @param script a backfill migration
     */
    void forget(MigrationScript script);
}
