package dev.tidemark.upgrade;

import dev.tidemark.engine.EngineFactory;
import dev.tidemark.migration.MigrateResult;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Calls the upgrade as the rollout state machine's loop does: again while a backfill answers {@code IN_PROGRESS}. */
final class RolloutCalls {

    private RolloutCalls() {
    }

    /** @return every call's result for the request's first target, in order (at most 500 calls) */
    static List<MigrateResult> untilDone(EngineFactory engines, UpgradeRequest request, BooleanSupplier outOfTime) {
        List<MigrateResult> calls = new ArrayList<>();
        MigrateResult r;
        do {
            r = new UpgradeService(engines).upgrade(request, outOfTime).results().getFirst();
            calls.add(r);
        } while (r.status() == MigrateResult.Status.IN_PROGRESS && calls.size() < 500);
        return calls;
    }
}
