package dev.tidemark.error;

/**
 * A request id that already names another request: the same erasure request id sent with another body (the erasure
 * API answers HTTP 409, as idempotency keys do in Powertools' idempotency utility). Nothing was changed. Not retryable.
 */
public class RequestConflictException extends TidemarkException {

    /** @param message what conflicts, naming the field; never the subject id */
    public RequestConflictException(String message) {
        super(ErrorCode.REQUEST_CONFLICT, false, message, null);
    }
}
