package dev.tidemark.error;

/**
 * A MongoDB or Elasticsearch run lost its migration lease: the store no longer shows it as the holder (the lease ran
 * out while the run was paused, stalled or cut off, and another run may have taken it with a higher epoch), or the store
 * refused one of its history writes because a later epoch owns the record. The run stopped before its next command; what
 * it had started is left as a failed record. Retryable: a new run waits for the current holder, then finds the target as
 * that holder left it (migrated, or recorded as failed and needing repair).
 */
public class LeaseLostException extends TidemarkException {

    /** @param message what was lost, naming the target, the epoch and the step */
    public LeaseLostException(String message) {
        super(ErrorCode.LEASE_LOST, true, message, null);
    }
}
