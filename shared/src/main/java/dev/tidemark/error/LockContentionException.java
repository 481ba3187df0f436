package dev.tidemark.error;

/**
 * Another run holds the target's migration lock (PostgreSQL advisory lock, MongoDB/Elasticsearch lease) and did not release it in time. Retryable: the rollout state machine retries it with backoff.
 */
public class LockContentionException extends TidemarkException {

    /** @param message what went wrong, naming what is concerned */
    public LockContentionException(String message) {
        super(ErrorCode.LOCK_CONTENTION, true, message, null);
    }

    /**
     * @param message what went wrong, naming what is concerned
     * @param cause the underlying error
     */
    public LockContentionException(String message, Throwable cause) {
        super(ErrorCode.LOCK_CONTENTION, true, message, cause);
    }
}
