package dev.tidemark.error;

/**
 * A bulk export or import failed after it had started writing. Everything up to the continuation token in the message
 * is complete (exported parts are in S3, imported parts are committed); the unfinished part was aborted (export) or
 * rolled back where the store allows it (PostgreSQL). Resume by sending the same request with that token as
 * {@code continuation}. Retryable when the cause is; a retryable one is a {@link TransferInterruptedException}, which
 * the bulk state machines retry.
 */
public class TransferFailedException extends TidemarkException {

    private final String continuation;

    /**
     * @param message what failed, naming the part
     * @param continuation the continuation token to resume from, or {@code null} to start over
     * @param retryable whether the cause is transient
     * @param cause the underlying error
     */
    public TransferFailedException(String message, String continuation, boolean retryable, Throwable cause) {
        super(ErrorCode.TRANSFER_FAILED, retryable, message + (continuation == null ? "; start over" : "; resume with continuation " + continuation), cause);
        this.continuation = continuation;
    }

    /** @return the continuation token to resume from, or {@code null} */
    public String continuation() {
        return continuation;
    }
}
