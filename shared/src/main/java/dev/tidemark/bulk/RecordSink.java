package dev.tidemark.bulk;

/** A store's destination of a bulk import: the import mode's preparation, one part at a time, and the finish. */
interface RecordSink extends AutoCloseable {

    /**
     * Prepares the destination before the first part: a replace creates its staging table, collection or index.
     *
     * @return the stage's name for a replace (kept in the continuation), otherwise {@code null}
     */
    String begin();

    /**
     * Loads one part. Where the store has transactions (PostgreSQL) the part is one transaction, committed only when its
     * rows and SHA-256 match the manifest.
     *
     * @param part the part's manifest entry
     * @param data the part's records, checked against the manifest as they are read
     * @param stage the stage from {@link #begin()}, or {@code null}
     * @return records written
     */
    long load(Manifest.Part part, PartCheck data, String stage);

    /**
     * @return whether each part is one transaction, so that
     *         {@link #load(Manifest.Part, PartCheck, String, java.util.function.BooleanSupplier)} can hold its commit
     */
    default boolean transactional() {
        return false;
    }

    /**
     * Loads one part in one transaction, and asks {@code commit} just before committing it: the import verifies the
     * other parts meanwhile, and nothing is committed unless all of them match the manifest. Only for
     * {@link #transactional()} sinks.
     *
     * @param part the part's manifest entry
     * @param data the part's records, checked against the manifest as they are read
     * @param stage the stage from {@link #begin()}, or {@code null}
     * @param commit answers whether to commit (it may wait); {@code false} rolls the part back
     * @return records written, or {@code -1} when the part was rolled back because {@code commit} answered {@code false}
     */
    default long load(Manifest.Part part, PartCheck data, String stage, java.util.function.BooleanSupplier commit) {
        throw new UnsupportedOperationException("not a transactional sink");
    }

    /**
     * Ends the import: a replace swaps the stage in.
     *
     * @param stage the stage from {@link #begin()}, or {@code null}
     */
    void finish(String stage);

    @Override
    void close();

    /**
     * Checks a stage carried by a continuation against the one this sink derives from its destination.
     *
     * @param stage the stage, or {@code null}
     * @throws dev.tidemark.error.ValidationException naming {@code continuation} when it is not this import's stage
     */
    default void checkStage(String stage) {
        if (stage != null) {
            throw new dev.tidemark.error.ValidationException("continuation: names a stage, but this import has none");
        }
    }
}
