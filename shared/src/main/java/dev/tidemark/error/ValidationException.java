package dev.tidemark.error;

/**
 * Bad input (event field, version, location, file name). Raised before anything is changed. Not retryable.
 */
public class ValidationException extends TidemarkException {

    /** @param message what went wrong, naming what is concerned */
    public ValidationException(String message) {
        super(ErrorCode.VALIDATION_ERROR, false, message, null);
    }

    /**
     * @param message what went wrong, naming what is concerned
     * @param cause the underlying error
     */
    public ValidationException(String message, Throwable cause) {
        super(ErrorCode.VALIDATION_ERROR, false, message, cause);
    }
}
