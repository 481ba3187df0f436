package dev.tidemark.erasure;

import dev.tidemark.migration.Store;

import java.util.List;

/**
 * What one target's part of an erasure request did, verified: per table, collection or index, the counts only (no ids,
 * no row contents).
 *
 * @param store the store
 * @param target the target's name
 * @param dryRun whether nothing was changed (counts of what would be erased)
 * @param plan the SHA-256 of the erasure plan that was run ({@link ErasurePlan#sha256()})
 * @param items per plan item, in plan order
 * @param durationMs the whole part, in milliseconds
 * @param done whether the part is complete: {@code false} when the call's time budget ran out first, with what it did
 *             kept (committed) and the rest for the next call of the same request (resumption: erasing is idempotent)
 */
public record ErasureResult(Store store, String target, boolean dryRun, String plan, List<Item> items, long durationMs, boolean done) {

    /**
     * @param name the table ({@code schema.table}), collection or index
     * @param action {@code delete} or {@code anonymise}
     * @param matched how many rows, documents or entries held the subject before (for a delete: erased plus remaining,
     *                counted once, after)
     * @param erased how many were deleted
     * @param anonymised how many were anonymised
     * @param remaining how many still hold the subject after (verified by counting; 0 on success)
     * @param durationMs the item's time, in milliseconds
     */
    public record Item(String name, String action, long matched, long erased, long anonymised, long remaining, long durationMs) {
    }
}
