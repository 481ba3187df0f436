package dev.tidemark.erasure;

import dev.tidemark.error.StoreException;

import java.util.List;
import java.util.Optional;

/** What the three erasers share: their batch-size rule and the verification that nothing of the subject is left. */
final class Erasures {

    private Erasures() {
    }

    /**
     * @param batchSize a batch size
     * @param max the store's largest
     * @return it, when 1 to {@code max}
     * @throws IllegalArgumentException otherwise
     */
    static int batchSize(int batchSize, int max) {
        if (batchSize < 1 || batchSize > max) {
            throw new IllegalArgumentException("batchSize must be 1 to " + max);
        }
        return batchSize;
    }

    /** @return the first item whose verification found the subject left */
    static Optional<ErasureResult.Item> firstLeft(List<ErasureResult.Item> items) {
        return items.stream().filter(i -> i.remaining() != 0).findFirst();
    }

    /**
     * @param store {@code postgres}, {@code mongodb} or {@code elasticsearch}
     * @param target the target's name
     * @param items the verified items
     * @param unit {@code row(s)}, {@code document(s)}, {@code entr(y/ies)}
     * @param outcome what became of the work, e.g. {@code nothing was committed}
     * @throws StoreException naming the first item with the subject left, and its count
     */
    static void requireNothingLeft(String store, String target, List<ErasureResult.Item> items, String unit, String outcome) {
        Optional<ErasureResult.Item> left = firstLeft(items);
        if (left.isPresent()) {
            throw new StoreException(store + " target '" + target + "': erasure verification found " + left.get().remaining() + " " + unit
                + " of the subject left in " + left.get().name() + "; " + outcome, null);
        }
    }
}
