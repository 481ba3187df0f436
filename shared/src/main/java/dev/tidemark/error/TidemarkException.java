package dev.tidemark.error;

/**
 * Root of every error Tidemark raises. Unchecked; carries an {@link ErrorCode} and whether retrying the same call may
 * succeed. Lambda reports a thrown exception to Step Functions by its fully qualified class name, so the names of the
 * subclasses are part of the public contract used by the state machines' {@code Retry} and {@code Catch}.
 * Messages never contain secrets.
 */
public class TidemarkException extends RuntimeException {

    private final ErrorCode code;
    private final boolean retryable;
    private volatile boolean forCaller;

    /**
     * @param code the stable error code
     * @param retryable whether the same call may succeed later
     * @param message what went wrong, naming the field, target, store or migration concerned
     * @param cause the underlying error, or {@code null}
     */
    public TidemarkException(ErrorCode code, boolean retryable, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.retryable = retryable;
    }

    /** @return the stable error code */
    public ErrorCode code() {
        return code;
    }

    /** @return whether the same call may succeed if retried */
    public boolean retryable() {
        return retryable;
    }

    /**
     * Marks this error as the answer of a function: from now on its message ends with
     * {@code  [<CODE>, retryable]} or {@code  [<CODE>, not retryable]}, so that Lambda's error payload
     * ({@code errorMessage}, {@code errorType}) carries the code and the retry decision a pipeline acts on.
     *
     * @return this error
     */
    public TidemarkException forCaller() {
        forCaller = true;
        return this;
    }

    @Override
    public String getMessage() {
        String m = super.getMessage();
        return forCaller ? m + " [" + code + ", " + (retryable ? "retryable" : "not retryable") + "]" : m;
    }
}
