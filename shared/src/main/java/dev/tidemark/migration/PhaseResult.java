package dev.tidemark.migration;

import java.util.List;

/**
 * What a phase of an expand/contract rollout left for the pipeline (see {@link Phase}).
 *
 * @param phase the phase asked: {@code expand}, {@code contract} or {@code all}
 * @param deploy whether the application may now be deployed: after an {@code expand} call, every expand migration up to
 *               the target version is applied; {@code false} while a backfill is in progress
 * @param contractPending the contract migrations still pending up to the target version, as file names, in order: what
 *                        the {@code contract} phase will run (empty when none)
 * @param irreversible contract migrations applied by this call, as file names: an undo of these cannot give back the
 *                     data they removed
 */
public record PhaseResult(String phase, boolean deploy, List<String> contractPending, List<String> irreversible) {

    /** Canonical constructor: copies the lists. */
    public PhaseResult {
        contractPending = List.copyOf(contractPending);
        irreversible = List.copyOf(irreversible);
    }
}
