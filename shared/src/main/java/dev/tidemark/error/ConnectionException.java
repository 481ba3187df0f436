package dev.tidemark.error;

/**
 * The target could not be reached, or answered with a server-side error. Retryable.
 */
public class ConnectionException extends TidemarkException {

    /** @param message what went wrong, naming what is concerned */
    public ConnectionException(String message) {
        super(ErrorCode.CONNECTION_ERROR, true, message, null);
    }

    /**
     * @param message what went wrong, naming what is concerned
     * @param cause the underlying error
     */
    public ConnectionException(String message, Throwable cause) {
        super(ErrorCode.CONNECTION_ERROR, true, message, cause);
    }
}
