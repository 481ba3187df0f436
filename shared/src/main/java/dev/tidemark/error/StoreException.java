package dev.tidemark.error;

/**
 * The store was reached and refused the operation with an error that retrying will not fix, such as a missing right
 * or an unsupported command; decided by the store's own code (SQLSTATE, MongoDB error code, HTTP status). Not
 * retryable. The message names the store's code, never its text about the data.
 */
public class StoreException extends TidemarkException {

    /**
     * @param message what went wrong, naming the target and the store's code
     * @param cause the driver's error
     */
    public StoreException(String message, Throwable cause) {
        super(ErrorCode.STORE_ERROR, false, message, cause);
    }
}
